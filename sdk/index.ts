/** The SDK's public surface: the tracer, the session interface, the errors and the types. */
export { CekuraTracer } from "./tracer.ts";
export type { CekuraTracerOptions, ObserveOptions, TrackOptions } from "./tracer.ts";
// The session interface and its inputs: AudioChannel, CekuraSession, CloseOptions, SessionStats, ToolCallInput,
// ToolResultInput, TranscriptInput, Turn.
export type * from "./cekura-session.ts";
export { DEFAULTS } from "./defaults.ts";
export type { SessionStatus } from "./wire/status.ts";
export type { SessionLogger } from "./logger.ts";
export type { AudioOptions, AudioStats } from "./audio/audio-addon.ts";
export type {
  LlmOptions,
  ServiceSpanHandle,
  SttOptions,
  ToolCallHandle,
  TtsOptions,
  TurnEndOptions,
  Usage,
} from "./otel/types.ts";
export type { FetchLike } from "./transport.ts";
export { createRedactor, DETECTORS } from "./redact.ts";
export type { DetectorName, RedactionPattern, RedactionRules, Redactor } from "./redact.ts";
export type { RetryOptions } from "./retry.ts";
export type { DeferUpload, LogLevel, Mode } from "./wire/types.ts";
export {
  ApiError,
  ConfigError,
  ConnectionError,
  QueueOverflowError,
  SdkError,
  SessionClosedError,
  TimeoutError,
  ValidationError,
} from "./errors.ts";
