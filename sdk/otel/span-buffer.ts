import type { Context } from "@opentelemetry/api";
import type { ReadableSpan, Span, SpanProcessor } from "@opentelemetry/sdk-trace";

/**
 * Holds ended spans until `drain()`: batching without timers, so nothing keeps a process
 * (or a Worker request) alive and flush points are explicit (turn end, close, a full batch).
 */
export class SpanBuffer implements SpanProcessor {
  #spans: ReadableSpan[] = [];

  constructor(
    private readonly maxSpans: number,
    private readonly onFull: () => void,
  ) {}

  onStart(_span: Span, _parentContext: Context): void {}

  onEnd(span: ReadableSpan): void {
    this.#spans.push(span);
    if (this.#spans.length >= this.maxSpans) this.onFull();
  }

  get size(): number {
    return this.#spans.length;
  }

  drain(): ReadableSpan[] {
    const out = this.#spans;
    this.#spans = [];
    return out;
  }

  async forceFlush(): Promise<void> {}

  async shutdown(): Promise<void> {}
}
