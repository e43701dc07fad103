/** Attribute values as OTel accepts them. */
export type AttributeValue = string | number | boolean | string[] | number[] | boolean[];
export type SpanAttributes = Record<string, AttributeValue | undefined>;

export interface SttOptions {
  provider: string;
  model?: string;
  language?: string;
}

export interface LlmOptions {
  provider: string;
  model: string;
  /** Tool names or definitions offered to the model. */
  tools?: Array<string | { name: string; [key: string]: unknown }>;
}

export interface TtsOptions {
  provider: string;
  model?: string;
  voiceId?: string;
}

export interface Usage {
  inputTokens?: number;
  outputTokens?: number;
}

/** A running stt / llm / tts span. Every method returns the handle; `end()` is idempotent. */
export interface ServiceSpanHandle {
  readonly kind: "stt" | "llm" | "tts";
  /** Time to first byte, in seconds (`metrics.ttfb`). */
  ttfb(seconds: number): ServiceSpanHandle;
  /** stt: `transcript` (+ `is_final`); llm: `output`; tts: `text` (+ `metrics.character_count`). */
  text(text: string, options?: { isFinal?: boolean }): ServiceSpanHandle;
  /** llm: what the model was sent (`input`). */
  input(value: unknown): ServiceSpanHandle;
  usage(usage: Usage): ServiceSpanHandle;
  set(attributes: SpanAttributes): ServiceSpanHandle;
  end(options?: { error?: string }): void;
}

export interface ToolCallOptions {
  id?: string;
  name: string;
  /** Arguments (any JSON value, or a JSON string). */
  input?: unknown;
}

export interface ToolCallHandle {
  /** Records the result (`output`) and ends the span; idempotent. */
  end(result?: { output?: unknown; isError?: boolean }): void;
}

export interface TurnEndOptions {
  interrupted?: boolean;
  /** Seconds from the end of the user's speech to the start of the bot's. */
  userBotLatencySeconds?: number;
}

export interface TurnHandle {
  /** 1, 2, 3... within the session (0 when tracing is off). */
  readonly number: number;
  stt(options: SttOptions): ServiceSpanHandle;
  llm(options: LlmOptions): ServiceSpanHandle;
  tts(options: TtsOptions): ServiceSpanHandle;
  toolCall(options: ToolCallOptions): ToolCallHandle;
  /** Ends open service and tool spans, then the turn; idempotent. */
  end(options?: TurnEndOptions): void;
}
