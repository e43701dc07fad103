import type { RecordedSpan } from "./recorded-span.ts";
import { ATTR, SPAN } from "./attributes.ts";
import { ServiceSpan } from "./service-span.ts";
import { asText, endSpan, startChild, type SpanRecorder } from "./spans.ts";
import type {
  LlmOptions,
  SttOptions,
  ToolCallHandle,
  ToolCallOptions,
  TtsOptions,
  TurnEndOptions,
  TurnHandle,
} from "./types.ts";

/**
 * A `tool_call` span with Pipecat's function-call attributes (`tool.function_name`, `tool.call_id`,
 * `tool.arguments` at start; `tool.result`, `tool.result_status` at end) and Cekura's `function.name`.
 */
export function startToolCall(
  tracer: SpanRecorder,
  parent: RecordedSpan,
  now: () => number,
  options: ToolCallOptions,
): ToolCallHandle {
  const span = startChild(tracer, SPAN.toolCall, parent, now(), {
    [ATTR.toolFunctionName]: options.name,
    [ATTR.functionName]: options.name,
    [ATTR.toolCallId]: options.id,
    [ATTR.toolArguments]: options.input === undefined ? undefined : asText(options.input),
  });
  return {
    end(result = {}) {
      if (!span.isRecording()) return;
      if (result.output !== undefined) span.setAttribute(ATTR.toolResult, asText(result.output));
      if (result.isError !== undefined || result.output !== undefined)
        span.setAttribute(ATTR.toolResultStatus, result.isError ? "error" : "success");
      endSpan(span, now(), result.isError ? "tool returned an error" : undefined);
    },
  };
}

/** One `turn` span under the conversation; its service and tool spans are its children. */
export class Turn implements TurnHandle {
  readonly span: RecordedSpan;
  readonly #startMs: number;
  readonly #children: Array<{ end(): void }> = [];
  /** The turn's latest llm span: tool calls go under it, as in Pipecat. */
  #llm: ServiceSpan | undefined;
  #ended = false;

  constructor(
    private readonly tracer: SpanRecorder,
    conversation: RecordedSpan,
    conversationId: string,
    readonly number: number,
    private readonly now: () => number,
    private readonly onEnd: (turn: Turn) => void,
  ) {
    this.#startMs = now();
    this.span = startChild(tracer, SPAN.turn, conversation, this.#startMs, {
      [ATTR.conversationId]: conversationId,
      [ATTR.turnNumber]: number,
      [ATTR.turnType]: "conversation",
    });
  }

  get ended(): boolean {
    return this.#ended;
  }

  #track<T extends { end(): void }>(child: T): T {
    this.#children.push(child);
    return child;
  }

  stt(options: SttOptions): ServiceSpan {
    return this.#track(ServiceSpan.start(this.tracer, this.span, this.now, "stt", options));
  }

  llm(options: LlmOptions): ServiceSpan {
    this.#llm = this.#track(ServiceSpan.start(this.tracer, this.span, this.now, "llm", options));
    return this.#llm;
  }

  tts(options: TtsOptions): ServiceSpan {
    return this.#track(ServiceSpan.start(this.tracer, this.span, this.now, "tts", options));
  }

  toolCall(options: ToolCallOptions): ToolCallHandle {
    return this.#track(startToolCall(this.tracer, this.#llm?.span ?? this.span, this.now, options));
  }

  end(options: TurnEndOptions = {}): void {
    if (this.#ended) return;
    this.#ended = true;
    for (const child of this.#children) child.end();
    const endMs = this.now();
    this.span.setAttribute(ATTR.turnDurationSeconds, Math.max(0, endMs - this.#startMs) / 1000);
    this.span.setAttribute(ATTR.turnWasInterrupted, options.interrupted ?? false);
    if (options.userBotLatencySeconds !== undefined)
      this.span.setAttribute(ATTR.turnUserBotLatencySeconds, options.userBotLatencySeconds);
    endSpan(this.span, endMs);
    this.onEnd(this);
  }
}
