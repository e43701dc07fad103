export { ATTR, OPERATION, SESSION_HEADER, SPAN } from "./attributes.ts";
export { noopTurn } from "./noop.ts";
export { serializeSpans } from "./otlp-json.ts";
export { SessionTracing, type SessionTracingOptions } from "./session-tracing.ts";
export { createTraceSink, type TraceSink } from "./trace-sink.ts";
export type * from "./types.ts";
