import { ATTR, SPAN } from "./attributes.ts";
import { serializeSpans, type SpanSource } from "./otlp-json.ts";
import type { RecordedSpan } from "./recorded-span.ts";
import { SpanBuffer } from "./span-buffer.ts";
import { endSpan, SpanRecorder, startChild } from "./spans.ts";
import type { TraceSink } from "./trace-sink.ts";
import { startToolCall, Turn } from "./turn.ts";
import type { SpanAttributes, ToolCallHandle, ToolCallOptions } from "./types.ts";

export interface SessionTracingOptions {
  sessionId: string;
  /** Receives each serialized OTLP JSON batch (see createTraceSink). */
  sink: TraceSink;
  /** `conversation.type`; Pipecat uses "voice". */
  conversationType?: string;
  /** Extra attributes on the conversation span (Pipecat's `additionalSpanAttributes`). */
  additionalSpanAttributes?: SpanAttributes;
  /** Resource `service.name` (default "cekura-voice-agent"). */
  serviceName?: string;
  /** A batch is sent once this many spans have ended (default 256); otherwise at turn end and close. */
  maxBatchSpans?: number;
  /** Export failures land here; tracing never throws into the agent. */
  onError?: (error: unknown) => void;
  /** Clock in epoch ms (tests). */
  now?: () => number;
}

/** The SDK's default resource `service.name`. */
export const DEFAULT_SERVICE_NAME = "cekura-voice-agent";

/**
 * The traces of one session: its own span recorder (no OTel provider, global or not), the
 * `conversation` span, turns under it, and an explicit flush to the sink. No context manager:
 * every parent is passed by hand, so concurrent sessions in one process never mix.
 */
export class SessionTracing {
  readonly traceId: string;
  readonly #source: SpanSource;
  readonly #tracer: SpanRecorder;
  readonly #buffer: SpanBuffer;
  readonly #conversation: RecordedSpan;
  readonly #sink: TraceSink;
  readonly #onError: (error: unknown) => void;
  readonly #now: () => number;
  readonly #sessionId: string;
  readonly #tools = new Map<string, ToolCallHandle>();
  #turns = 0;
  #current: Turn | undefined;
  #closed = false;
  #chain: Promise<void> = Promise.resolve();

  constructor(options: SessionTracingOptions) {
    this.#sessionId = options.sessionId;
    this.#sink = options.sink;
    this.#onError = options.onError ?? (() => {});
    this.#now = options.now ?? Date.now;
    this.#buffer = new SpanBuffer(options.maxBatchSpans ?? 256, () => void this.flush());
    this.#source = { serviceName: options.serviceName ?? DEFAULT_SERVICE_NAME, scopeName: "cekura-edge-tracer" };
    this.#tracer = new SpanRecorder(this.#buffer.onEnd);
    this.#conversation = startChild(this.#tracer, SPAN.conversation, undefined, this.#now(), {
      ...options.additionalSpanAttributes,
      [ATTR.conversationId]: options.sessionId,
      [ATTR.conversationType]: options.conversationType ?? "voice",
    });
    this.traceId = this.#tracer.traceId;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Starts the next turn; a turn still open is ended first (not interrupted). */
  startTurn(): Turn {
    if (this.#closed) throw new Error("the session's tracing is closed; startTurn() after close() records nothing");
    this.#current?.end();
    const turn = new Turn(this.#tracer, this.#conversation, this.#sessionId, ++this.#turns, this.#now, (t) => {
      if (this.#current === t) this.#current = undefined;
      void this.flush();
    });
    this.#current = turn;
    return turn;
  }

  /** A tool call recorded on the session: a `tool_call` span under the open turn (or the conversation). */
  toolCall(options: ToolCallOptions & { id: string }): void {
    if (this.#closed) return;
    const handle = this.#current
      ? this.#current.toolCall(options)
      : startToolCall(this.#tracer, this.#conversation, this.#now, options);
    this.#tools.get(options.id)?.end();
    this.#tools.set(options.id, handle);
  }

  /** Ends the `tool_call` span of `id` with its result. */
  toolResult(id: string, result: { output?: unknown; isError?: boolean }): void {
    const handle = this.#tools.get(id);
    if (!handle) return;
    this.#tools.delete(id);
    handle.end(result);
  }

  /** Sends every ended span (one OTLP request per call); resolves when sent or failed (reported to onError). */
  flush(): Promise<void> {
    const run = this.#chain.then(async () => {
      const spans = this.#buffer.drain();
      if (spans.length === 0) return;
      try {
        await this.#sink(serializeSpans(spans, this.#source));
      } catch (error) {
        this.#onError(error);
      }
    });
    this.#chain = run;
    return run;
  }

  /** Ends an open turn (interrupted), open tool calls and the conversation span, then flushes. Idempotent. */
  async close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#current?.end({ interrupted: true });
      for (const handle of this.#tools.values()) handle.end();
      this.#tools.clear();
      endSpan(this.#conversation, this.#now());
    }
    await this.flush();
  }
}
