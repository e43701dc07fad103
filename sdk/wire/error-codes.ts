/**
 * Every `error` code the Worker answers with (`{error, detail}`). Plain constants, no zod.
 * The Worker's `fail()` and `HttpError` accept only these; the SDK's `ApiError.code` is one of them,
 * or `http_<status>` when an answer carried no JSON error (a proxy's 502, say).
 */
export const ERROR_CODES = [
  // Authentication
  "missing_api_key",
  "unknown_api_key",
  "api_keys_not_configured",
  "rate_limited",
  "too_many_open_sessions",
  // Request shape
  "not_found",
  "invalid_session_id",
  "invalid_json",
  "invalid_body",
  "invalid_gzip",
  "invalid_headers",
  "invalid_chunkseq",
  "invalid_x_audio_sample_rate",
  "invalid_x_cekura_agent_id",
  "invalid_x_audio_start_frame",
  "invalid_audio_format",
  "invalid_audio_chunk",
  "empty_audio_chunk",
  "invalid_otlp",
  "invalid_protobuf",
  "unsupported_media_type",
  "unsupported_encoding",
  "payload_too_large",
  "session_limit_exceeded",
  // Session state
  "session_not_found",
  "session_conflict",
  "session_closing",
  "session_finalized",
  "session_aborted",
  "session_discarded",
  "session_erased",
  "fragment_conflict",
  "audio_chunk_conflict",
  "audio_chunk_overlap",
  "audio_chunk_late",
  "audio_format_conflict",
  "audio_not_recorded",
  "recording_aborted",
  "record_not_ready",
  "not_dead_lettered",
  // The Worker's side
  "record_missing",
  "overloaded",
  "internal_error",
  // The relay's upstream (worker/relay/)
  "upstream_unreachable",
  "upstream_timeout",
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** The code the SDK reports for an error answer without a JSON `error` field. */
export type HttpStatusCode = `http_${number}`;
