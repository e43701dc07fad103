import { ROOT_CONTEXT, SpanStatusCode, trace, type Attributes, type Span, type Tracer } from "@opentelemetry/api";
import type { SpanAttributes } from "./types.ts";

/** Drops undefined values (OTel would warn about them). */
export function clean(attributes: SpanAttributes): Attributes {
  const out: Attributes = {};
  for (const [key, value] of Object.entries(attributes)) if (value !== undefined) out[key] = value;
  return out;
}

/** A string attribute for any value: strings as they are, everything else as JSON. */
export function asText(value: unknown): string {
  if (typeof value === "string") return value;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Starts `name` as a child of `parent` (explicit parent; no ambient context manager), at `startMs`. */
export function startChild(
  tracer: Tracer,
  name: string,
  parent: Span | undefined,
  startMs: number,
  attributes: SpanAttributes,
): Span {
  const context = parent ? trace.setSpan(ROOT_CONTEXT, parent) : ROOT_CONTEXT;
  return tracer.startSpan(
    name,
    { startTime: startMs, attributes: clean(attributes), root: parent === undefined },
    context,
  );
}

/** Ends a span once, marking an error status when given. */
export function endSpan(span: Span, endMs: number, error?: string): void {
  if (!span.isRecording()) return;
  if (error) span.setStatus({ code: SpanStatusCode.ERROR, message: error });
  span.end(endMs);
}
