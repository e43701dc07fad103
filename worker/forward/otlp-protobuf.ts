/**
 * OTLP/HTTP binary protobuf for /v1/traces, with OpenTelemetry's own generated protobuf code
 * (the static module @opentelemetry/otlp-transformer shipped while it built on protobufjs, compiled
 * from opentelemetry-proto). A request is decoded into the OTLP/JSON form the rest of the Worker
 * reads, so both encodings take one path; the answer is an encoded ExportTraceServiceResponse.
 */
import Long from "long";
import protobuf from "protobufjs/minimal.js";
import generated from "otlp-transformer-protobufjs/build/src/generated/root.js";

// 64-bit fields (nanosecond times, int attributes) keep every digit only with Long; workerd's
// protobufjs cannot find it by itself (it looks it up with eval).
protobuf.util.Long = Long;
protobuf.configure();

interface Message {
  decode(reader: Uint8Array): object;
  toObject(message: object, options: protobuf.IConversionOptions): Record<string, unknown>;
  encode(message: object, writer: protobuf.Writer): protobuf.Writer;
}
interface TraceServiceV1 {
  ExportTraceServiceRequest: Message;
  ExportTraceServiceResponse: Message;
}
const traceService = (
  generated as unknown as { opentelemetry: { proto: { collector: { trace: { v1: TraceServiceV1 } } } } }
).opentelemetry.proto.collector.trace.v1;

/** OTLP/JSON: enums as numbers, 64-bit integers as decimal strings, bytes as base64 except ids (hex, below). */
const AS_OTLP_JSON: protobuf.IConversionOptions = {
  longs: String,
  enums: Number,
  bytes: String,
  defaults: false,
  arrays: false,
  oneofs: false,
  json: true,
};

const hex = (base64: unknown): string => {
  if (typeof base64 !== "string" || base64 === "") return "";
  const binary = atob(base64);
  let out = "";
  for (let i = 0; i < binary.length; i++) out += binary.charCodeAt(i).toString(16).padStart(2, "0");
  return out;
};

type Json = Record<string, unknown>;
const list = (value: unknown): Json[] => (Array.isArray(value) ? (value as Json[]) : []);

/** Trace, span and parent ids are hex in OTLP/JSON (every other bytes field stays base64). */
function idsToHex(span: Json): void {
  for (const key of ["traceId", "spanId", "parentSpanId"] as const) if (key in span) span[key] = hex(span[key]);
  for (const link of list(span.links)) {
    for (const key of ["traceId", "spanId"] as const) if (key in link) link[key] = hex(link[key]);
  }
}

export class ProtobufDecodeError extends Error {
  override name = "ProtobufDecodeError";
}

/** An ExportTraceServiceRequest in protobuf -> the same request in OTLP/JSON form. */
export function decodeTraceRequest(bytes: Uint8Array): Json {
  let request: Json;
  try {
    const message = traceService.ExportTraceServiceRequest.decode(bytes);
    // Inside the try too: a message nested deep enough to decode can still overflow the stack here.
    request = traceService.ExportTraceServiceRequest.toObject(message, AS_OTLP_JSON);
  } catch (error) {
    throw new ProtobufDecodeError(error instanceof Error ? error.message : String(error));
  }
  for (const resourceSpans of list(request.resourceSpans)) {
    for (const scopeSpans of list(resourceSpans.scopeSpans)) for (const span of list(scopeSpans.spans)) idsToHex(span);
  }
  return request;
}

/** The answer to a protobuf export: empty on full success, else its partialSuccess. */
export function encodeTraceResponse(partial?: { rejectedSpans: number; errorMessage: string }): Uint8Array {
  const body = partial
    ? { partialSuccess: { rejectedSpans: Long.fromNumber(partial.rejectedSpans), errorMessage: partial.errorMessage } }
    : {};
  // The plain Uint8Array writer: protobufjs' Buffer writer miswrites strings with workerd's Buffer.
  return traceService.ExportTraceServiceResponse.encode(body, new protobuf.Writer()).finish();
}

/** Content types of OTLP/HTTP binary protobuf (the specification's default encoding). */
export const isProtobufType = (contentType: string) => /^application\/(x-)?protobuf\b/i.test(contentType.trim());
