import { RecordedSpan, randomId } from "./recorded-span.ts";
import type { SpanAttributes } from "./types.ts";

/** A string attribute for any value: strings as they are, everything else as JSON. */
export function asText(value: unknown): string {
  if (typeof value === "string") return value;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Drops undefined values. */
export function clean(attributes: SpanAttributes): SpanAttributes {
  const out: SpanAttributes = {};
  for (const [key, value] of Object.entries(attributes)) if (value !== undefined) out[key] = value;
  return out;
}

/**
 * Starts the spans of one trace (the session's): every span gets the trace id and an explicit
 * parent; no global provider, no ambient context, so concurrent sessions in one process never mix.
 */
export class SpanRecorder {
  readonly traceId = randomId(16);

  constructor(private readonly onEnd: (span: RecordedSpan) => void) {}

  start(name: string, parent: RecordedSpan | undefined, startMs: number, attributes: SpanAttributes): RecordedSpan {
    return new RecordedSpan(this.traceId, randomId(8), parent?.spanId, name, startMs, attributes, this.onEnd);
  }
}

/** Starts `name` as a child of `parent` at `startMs`. */
export function startChild(
  recorder: SpanRecorder,
  name: string,
  parent: RecordedSpan | undefined,
  startMs: number,
  attributes: SpanAttributes,
): RecordedSpan {
  return recorder.start(name, parent, startMs, attributes);
}

/** Ends a span once, marking an error status when given. */
export function endSpan(span: RecordedSpan, endMs: number, error?: string): void {
  span.end(endMs, error);
}
