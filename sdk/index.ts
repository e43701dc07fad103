/** The SDK's public surface (package entry `./sdk`). */
export { CekuraTracer } from "./tracer.ts";
export type { CekuraTracerOptions, CekuraSession, ObserveOptions, TrackOptions } from "./tracer.ts";
export { Session } from "./session.ts";
export type {
  AudioChannel,
  CloseOptions,
  SessionStatus,
  ToolCallInput,
  ToolResultInput,
  TranscriptInput,
  Turn,
} from "./session.ts";
export type { SessionLogger } from "./logger.ts";
export type { AudioOptions, AudioStats } from "./audio/audio-addon.ts";
export type { LlmOptions, ServiceSpanHandle, SttOptions, ToolCallHandle, TtsOptions, TurnEndOptions, Usage } from "./otel/types.ts";
export { createTransport } from "./transport.ts";
export { createRedactor, DETECTORS } from "./redact.ts";
export type { DetectorName, RedactionPattern, RedactionRules, Redactor } from "./redact.ts";
export type { FetchLike, SendOptions, SendResult, Transport, TransportOptions } from "./transport.ts";
export type { RetryOptions } from "./retry.ts";
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
