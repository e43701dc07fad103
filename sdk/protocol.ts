/**
 * The SDK -> Worker fragment protocol. This one module is imported by sdk/ and worker/,
 * so both sides agree on shapes and limits by construction.
 */
import { z } from "zod";
import { CONSENT_STATES, FORWARD_STATUSES, SESSION_STATES } from "./wire/status.ts";
import { isRealUtcTime } from "./wire/time.ts";

export { ERROR_CODES, type ErrorCode, type HttpStatusCode } from "./wire/error-codes.ts";
export { CONSENT_STATES, FORWARD_STATUSES, SESSION_STATES, type AudioDropReason, type SessionStatus } from "./wire/status.ts";
export { isRealUtcTime, TIME_RANGE } from "./wire/time.ts";

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

export const sessionIdSchema = z
  .string()
  .min(1, "session id must not be empty")
  .max(LIMITS.sessionIdMaxLength, `session id must be at most ${LIMITS.sessionIdMaxLength} characters`)
  .regex(/^[A-Za-z0-9._:@+=-]+$/, "session id may contain only letters, digits and . _ : @ + = -");

/** UTC ISO-8601 with milliseconds, e.g. 2026-11-25T13:53:15.123Z: a real calendar date from 2000 to 2100. */
export const utcTimestamp = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/, "must be a UTC ISO-8601 timestamp with milliseconds (YYYY-MM-DDTHH:mm:ss.sssZ)")
  .refine(isRealUtcTime, "must be a real calendar date and time from 2000-01-01 to 2100-01-01 (UTC)");

const endNotBeforeStart = (event: { startedAt: string; endedAt?: string | undefined }) =>
  event.endedAt === undefined || Date.parse(event.endedAt) >= Date.parse(event.startedAt);
const END_BEFORE_START = { message: "endedAt must not be earlier than startedAt", path: ["endedAt"] };

const jsonBytes = (value: unknown): number => new TextEncoder().encode(JSON.stringify(value) ?? "").byteLength;

const boundedJsonObject = (maxBytes: number, what: string) =>
  z.record(z.string(), z.unknown()).refine((v) => jsonBytes(v) <= maxBytes, {
    message: `${what} must be at most ${maxBytes} bytes of JSON`,
  });

const text = z.string().max(LIMITS.textLength, `must be at most ${LIMITS.textLength} characters`);

export const modeSchema = z.enum(["observe", "track"]);
export type Mode = z.infer<typeof modeSchema>;

export const transcriptEventSchema = z.object({
  kind: z.literal("transcript"),
  role: z.enum(["user", "assistant", "system"]),
  text,
  startedAt: utcTimestamp,
  endedAt: utcTimestamp,
}).refine(endNotBeforeStart, END_BEFORE_START);

export const toolCallEventSchema = z.object({
  kind: z.literal("tool_call"),
  id: z.string().min(1).max(200),
  name: z.string().min(1).max(200),
  /** JSON-encoded arguments (Cekura wants a JSON string). */
  arguments: text,
  time: utcTimestamp,
});

export const toolResultEventSchema = z.object({
  kind: z.literal("tool_result"),
  id: z.string().min(1).max(200),
  name: z.string().max(200).optional(),
  /** JSON-encoded result. */
  result: text,
  isError: z.boolean(),
  time: utcTimestamp,
});

export const logLevelSchema = z.enum(["debug", "info", "warn", "error"]);
export type LogLevel = z.infer<typeof logLevelSchema>;

export const logEventSchema = z.object({
  kind: z.literal("log"),
  level: logLevelSchema,
  message: text,
  time: utcTimestamp,
  attributes: boundedJsonObject(LIMITS.logAttributesBytes, "log attributes").optional(),
});

export const metadataEventSchema = z.object({
  kind: z.literal("metadata"),
  /** Shallow patch merged into the session's custom metadata; a null value deletes the key. */
  patch: boundedJsonObject(LIMITS.metadataBytes, "metadata patch"),
  time: utcTimestamp,
});

export const turnEventSchema = z.object({
  kind: z.literal("turn"),
  number: z.number().int().nonnegative(),
  startedAt: utcTimestamp,
  endedAt: utcTimestamp.optional(),
  interrupted: z.boolean().optional(),
  /** Seconds from the end of the user's speech to the start of the bot's. */
  userBotLatencySeconds: z.number().nonnegative().optional(),
}).refine(endNotBeforeStart, END_BEFORE_START);

export const eventSchema = z.discriminatedUnion("kind", [
  transcriptEventSchema,
  toolCallEventSchema,
  toolResultEventSchema,
  logEventSchema,
  metadataEventSchema,
  turnEventSchema,
]);
export type SessionEvent = z.infer<typeof eventSchema>;
export type EventKind = SessionEvent["kind"];
export type TranscriptEvent = z.infer<typeof transcriptEventSchema>;
export type ToolCallEvent = z.infer<typeof toolCallEventSchema>;
export type ToolResultEvent = z.infer<typeof toolResultEventSchema>;
export type LogEvent = z.infer<typeof logEventSchema>;
export type MetadataEvent = z.infer<typeof metadataEventSchema>;
export type TurnEvent = z.infer<typeof turnEventSchema>;

/**
 * `true` holds everything until consent (the seed SDK's meaning); `"audio"` holds audio only
 * (later Cekura SDKs); `false` (default) holds nothing.
 */
export const deferUploadSchema = z.union([z.boolean(), z.literal("audio")]);
export type DeferUpload = z.infer<typeof deferUploadSchema>;

export const fragmentSchema = z.object({
  agentId: z.number().int().positive(),
  mode: modeSchema,
  /** 0, 1, 2, ... per session. */
  seq: z.number().int().nonnegative(),
  sentAt: utcTimestamp,
  /** The session's consent setting; read when the session is first seen. */
  deferUpload: deferUploadSchema.optional(),
  /** When the call started (the SDK's observe()/track() time); read when the session is first seen. */
  callStartedAt: utcTimestamp.optional(),
  events: z
    .array(eventSchema)
    .max(LIMITS.eventsPerFragment, `at most ${LIMITS.eventsPerFragment} events per fragment`),
});
export type Fragment = z.infer<typeof fragmentSchema>;

export const fragmentAckSchema = z.object({
  /** Highest seq h such that every seq 0..h has been received; -1 when seq 0 has not. */
  ackedThrough: z.number().int(),
  /** Seqs below the highest received that have not arrived. */
  missing: z.array(z.number().int()),
  state: z.string(),
});
export type FragmentAck = z.infer<typeof fragmentAckSchema>;

export const closeReasonSchema = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[a-z0-9][a-z0-9-_.]*$/, "reason must be lower-case, e.g. customer-ended-call");

export const closeRequestSchema = z.object({
  /** Seq of the last fragment sent; -1 when none was sent. */
  lastSeq: z.number().int().min(-1),
  /** chunkSeq of the last audio chunk sent; -1 or absent when none. */
  lastAudioSeq: z.number().int().min(-1).optional(),
  reason: closeReasonSchema.default("agent-ended-call"),
  agentId: z.number().int().positive().optional(),
  mode: modeSchema.optional(),
  deferUpload: deferUploadSchema.optional(),
  callStartedAt: utcTimestamp.optional(),
});
export type CloseRequest = z.infer<typeof closeRequestSchema>;

/**
 * Body of POST /consent, /abort and /abort-recording (all fields optional; an empty body is fine).
 * agentId/mode/deferUpload/callStartedAt introduce the session when this is the Worker's first contact.
 */
export const sessionControlSchema = z.object({
  agentId: z.number().int().positive().optional(),
  mode: modeSchema.optional(),
  deferUpload: deferUploadSchema.optional(),
  callStartedAt: utcTimestamp.optional(),
});
export type SessionControl = z.infer<typeof sessionControlSchema>;

export const sessionStateSchema = z.enum(SESSION_STATES);
export type SessionState = z.infer<typeof sessionStateSchema>;
export const consentStateSchema = z.enum(CONSENT_STATES);
export type ConsentState = z.infer<typeof consentStateSchema>;
export const forwardStatusSchema = z.enum(FORWARD_STATUSES);
export type ForwardStatus = z.infer<typeof forwardStatusSchema>;

/** Wire error body of every 4xx/5xx the Worker answers. */
export const errorBodySchema = z.object({ error: z.string(), detail: z.string() });
export type ErrorBody = z.infer<typeof errorBodySchema>;

/** Human-readable summary of a zod error: "events.3.role: Invalid option ...; seq: ..." */
export function describeZodError(error: z.ZodError): string {
  return error.issues
    .slice(0, 10)
    .map((issue) => `${issue.path.length ? issue.path.join(".") : "(body)"}: ${issue.message}`)
    .join("; ");
}

/** Formats a Date or epoch ms as the protocol's UTC timestamp. */
export function toUtc(time: Date | number): string {
  return new Date(time).toISOString();
}
