import { JsonTraceSerializer } from "@opentelemetry/otlp-transformer";
import type { ReadableSpan } from "@opentelemetry/sdk-trace";

/**
 * OTLP/HTTP JSON ExportTraceServiceRequest bytes for `spans`, made by the official serializer:
 * lower-case hex trace/span ids, int64 nanosecond times as decimal strings, enums as integers.
 */
export function serializeSpans(spans: ReadableSpan[]): Uint8Array {
  const bytes = JsonTraceSerializer.serializeRequest(spans);
  if (!bytes) throw new Error("the OTLP JSON serializer produced no bytes");
  return bytes;
}
