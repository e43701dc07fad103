import type { RecordedSpan } from "./recorded-span.ts";
import type { AttributeValue } from "./types.ts";

/** What the spans were recorded by: the OTLP resource's `service.name` and the instrumentation scope. */
export interface SpanSource {
  serviceName: string;
  scopeName: string;
}

type AnyValue =
  | { stringValue: string }
  | { boolValue: boolean }
  | { intValue: number }
  | { doubleValue: number }
  | { arrayValue: { values: AnyValue[] } };

function encodeValue(value: AttributeValue | string | number | boolean | null | undefined): AnyValue {
  if (Array.isArray(value)) return { arrayValue: { values: value.map((v) => encodeValue(v)) } };
  if (typeof value === "string") return { stringValue: value };
  if (typeof value === "boolean") return { boolValue: value };
  if (typeof value === "number") return Number.isInteger(value) ? { intValue: value } : { doubleValue: value };
  return {} as AnyValue; // null inside an array, as OTel's transformer encodes it
}

function encodeAttributes(attributes: Record<string, AttributeValue>): { key: string; value: AnyValue }[] {
  return Object.entries(attributes).map(([key, value]) => ({ key, value: encodeValue(value) }));
}

/** Epoch milliseconds as OTLP's decimal nanoseconds, rounded as OTel's millisToHrTime does. */
export function epochMsToNanos(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  const nanos = Math.round((ms % 1000) * 1e6);
  return (BigInt(seconds) * 1_000_000_000n + BigInt(nanos)).toString();
}

/**
 * OTLP/HTTP JSON ExportTraceServiceRequest bytes for ended `spans`, byte for byte what OTel's
 * JsonTraceSerializer writes for them (test/otel/otlp-json.test.ts compares the two): lower-case hex
 * ids, int64 nanosecond times as decimal strings, enums as integers, kind INTERNAL, flags SAMPLED.
 */
export function serializeSpans(spans: readonly RecordedSpan[], source: SpanSource): Uint8Array {
  const request = {
    resourceSpans: [
      {
        resource: { attributes: encodeAttributes({ "service.name": source.serviceName }), droppedAttributesCount: 0 },
        scopeSpans: [
          {
            scope: { name: source.scopeName },
            spans: spans.map((span) => ({
              traceId: span.traceId,
              spanId: span.spanId,
              ...(span.parentSpanId ? { parentSpanId: span.parentSpanId } : {}),
              name: span.name,
              kind: 1,
              startTimeUnixNano: epochMsToNanos(span.startMs),
              endTimeUnixNano: epochMsToNanos(span.endMs ?? span.startMs),
              attributes: encodeAttributes(span.attributes),
              droppedAttributesCount: span.droppedAttributes,
              events: [],
              droppedEventsCount: 0,
              status: span.error === undefined ? { code: 0 } : { code: 2, message: span.error },
              links: [],
              droppedLinksCount: 0,
              flags: 257,
            })),
          },
        ],
      },
    ],
  };
  return new TextEncoder().encode(JSON.stringify(request));
}
