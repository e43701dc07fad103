import type { RecordedSpan } from "./recorded-span.ts";

/**
 * Holds ended spans until `drain()`: batching without timers, so nothing keeps a process
 * (or a Worker request) alive and flush points are explicit (turn end, close, a full batch).
 */
export class SpanBuffer {
  #spans: RecordedSpan[] = [];

  constructor(
    private readonly maxSpans: number,
    private readonly onFull: () => void,
  ) {}

  readonly onEnd = (span: RecordedSpan): void => {
    this.#spans.push(span);
    if (this.#spans.length >= this.maxSpans) this.onFull();
  };

  get size(): number {
    return this.#spans.length;
  }

  drain(): RecordedSpan[] {
    const out = this.#spans;
    this.#spans = [];
    return out;
  }
}
