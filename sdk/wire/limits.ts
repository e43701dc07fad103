/**
 * Wire limits and the session-id rule, with no dependencies: the SDK imports these (the Worker
 * checks the same rules with zod schemas in sdk/protocol.ts, built from these constants).
 */

export const PROTOCOL_VERSION = 1;

/** Explicit limits. The Worker answers 413 (size) or 400 (shape) when one is exceeded. */
export const LIMITS = {
  /** Cekura's call_id is at most 100 characters. */
  sessionIdMaxLength: 100,
  /** A fragment body as sent (possibly gzip-compressed). */
  fragmentBodyBytes: 1024 * 1024,
  /** A fragment body after decompression: a gzip bomb stops here. */
  fragmentDecompressedBytes: 4 * 1024 * 1024,
  eventsPerFragment: 1000,
  /** Characters of one transcript text, log message, or tool argument/result JSON. */
  textLength: 64 * 1024,
  /** Bytes of JSON of one metadata patch, and of the merged custom metadata of a session. */
  metadataBytes: 64 * 1024,
  /** Bytes of JSON of a log event's attributes. */
  logAttributesBytes: 8 * 1024,
  /** A control body (close, consent...). */
  controlBodyBytes: 8 * 1024,
  /** One audio chunk (raw PCM). */
  audioChunkBytes: 4 * 1024 * 1024,
} as const;

export const SESSION_ID_PATTERN = /^[A-Za-z0-9._:@+=-]+$/;
export const SESSION_ID_RULES = {
  empty: "session id must not be empty",
  tooLong: `session id must be at most ${LIMITS.sessionIdMaxLength} characters`,
  characters: "session id may contain only letters, digits and . _ : @ + = -",
} as const;

/** Why `value` is not a valid session id, or undefined when it is. */
export function sessionIdProblem(value: unknown): string | undefined {
  if (typeof value !== "string") return `expected a string, got ${value === null ? "null" : typeof value}`;
  if (value.length === 0) return SESSION_ID_RULES.empty;
  if (value.length > LIMITS.sessionIdMaxLength) return SESSION_ID_RULES.tooLong;
  if (!SESSION_ID_PATTERN.test(value)) return SESSION_ID_RULES.characters;
  return undefined;
}

export const CLOSE_REASON_PATTERN = /^[a-z0-9][a-z0-9-_.]*$/;
export const CLOSE_REASON_RULE = "reason must be lower-case, e.g. customer-ended-call";
export const CLOSE_REASON_MAX_LENGTH = 100;

/** Why `value` is not a valid close reason, or undefined when it is. */
export function closeReasonProblem(value: unknown): string | undefined {
  if (typeof value !== "string") return `expected a string, got ${value === null ? "null" : typeof value}`;
  if (value.length === 0) return "reason must not be empty";
  if (value.length > CLOSE_REASON_MAX_LENGTH) return `reason must be at most ${CLOSE_REASON_MAX_LENGTH} characters`;
  if (!CLOSE_REASON_PATTERN.test(value)) return CLOSE_REASON_RULE;
  return undefined;
}

export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export const MODES = ["observe", "track"] as const;
