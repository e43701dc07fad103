/**
 * The SDK -> Worker fragment protocol. This one module is imported by sdk/ and worker/,
 * so both sides agree on shapes and limits by construction.
 */
import { z } from "zod";
import { metadataPatchProblem } from "./metadata-fields.ts";
import { parseRedactionRules, type RedactionRules } from "./redact.ts";
import { CONSENT_STATES, FORWARD_STATUSES, SESSION_STATES } from "./wire/status.ts";
import { isRealUtcTime } from "./wire/time.ts";

export { ERROR_CODES, type ErrorCode, type HttpStatusCode } from "./wire/error-codes.ts";
export {
  CONSENT_STATES,
  FORWARD_STATUSES,
  SESSION_STATES,
  type AudioDropReason,
  type SessionStatus,
} from "./wire/status.ts";
export { isRealUtcTime, TIME_RANGE } from "./wire/time.ts";

import {
  CLOSE_REASON_MAX_LENGTH,
  CLOSE_REASON_PATTERN,
  CLOSE_REASON_RULE,
  LIMITS,
  LOG_LEVELS,
  MODES,
  SESSION_ID_PATTERN,
  SESSION_ID_RULES,
} from "./wire/limits.ts";
import type * as Wire from "./wire/types.ts";

export { LIMITS, PROTOCOL_VERSION } from "./wire/limits.ts";

export const sessionIdSchema = z
  .string()
  .min(1, SESSION_ID_RULES.empty)
  .max(LIMITS.sessionIdMaxLength, SESSION_ID_RULES.tooLong)
  .regex(SESSION_ID_PATTERN, SESSION_ID_RULES.characters);

/** UTC ISO-8601 with milliseconds, e.g. 2026-11-25T13:53:15.123Z: a real calendar date from 2000 to 2100. */
export const utcTimestamp = z
  .string()
  .regex(
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/,
    "must be a UTC ISO-8601 timestamp with milliseconds (YYYY-MM-DDTHH:mm:ss.sssZ)",
  )
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

export const modeSchema = z.enum(MODES);
export type Mode = Wire.Mode;

export const transcriptEventSchema = z
  .object({
    kind: z.literal("transcript"),
    role: z.enum(["user", "assistant", "system"]),
    text,
    startedAt: utcTimestamp,
    endedAt: utcTimestamp,
  })
  .refine(endNotBeforeStart, END_BEFORE_START);

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

export const logLevelSchema = z.enum(LOG_LEVELS);
export type LogLevel = Wire.LogLevel;

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

export const turnEventSchema = z
  .object({
    kind: z.literal("turn"),
    number: z.number().int().nonnegative(),
    startedAt: utcTimestamp,
    endedAt: utcTimestamp.optional(),
    interrupted: z.boolean().optional(),
    /** Seconds from the end of the user's speech to the start of the bot's. */
    userBotLatencySeconds: z.number().nonnegative().optional(),
  })
  .refine(endNotBeforeStart, END_BEFORE_START);

export const eventSchema = z.discriminatedUnion("kind", [
  transcriptEventSchema,
  toolCallEventSchema,
  toolResultEventSchema,
  logEventSchema,
  metadataEventSchema,
  turnEventSchema,
]);
export type {
  EventKind,
  LogEvent,
  MetadataEvent,
  SessionEvent,
  ToolCallEvent,
  ToolResultEvent,
  TranscriptEvent,
  TurnEvent,
} from "./wire/types.ts";

export const deferUploadSchema = z.union([z.boolean(), z.literal("audio")]);
export type DeferUpload = Wire.DeferUpload;

/** The SDK's name, version and runtime (sdk/internal/runtime-facts.ts); read when the session is first seen. */
export const sdkInfoSchema = z.object({
  name: z.string().min(1).max(100),
  version: z.string().max(50),
  runtime: z.string().max(50),
  runtimeVersion: z.string().max(100).optional(),
});
export type SdkInfo = z.infer<typeof sdkInfoSchema>;

/** Redaction rules, checked by sdk/redact.ts (which stays zod-free for the SDK's own use). */
function redactionRulesSchema() {
  return z.unknown().transform((value, ctx): RedactionRules => {
    const parsed = parseRedactionRules(value, "redact");
    if (typeof parsed === "string") {
      ctx.addIssue({ code: "custom", message: parsed });
      return z.NEVER;
    }
    return parsed;
  });
}

export const fragmentSchema = z
  .object({
    agentId: z.number().int().positive(),
    mode: modeSchema,
    /** 0, 1, 2, ... per session. */
    seq: z.number().int().nonnegative(),
    sentAt: utcTimestamp,
    /** The session's consent setting; read when the session is first seen. */
    deferUpload: deferUploadSchema.optional(),
    /** When the call started (the SDK's observe()/track() time); read when the session is first seen. */
    callStartedAt: utcTimestamp.optional(),
    sdk: sdkInfoSchema.optional(),
    /** The session's redaction rules (sdk/redact.ts); the Worker applies them, with its own, before storing. */
    redact: redactionRulesSchema().optional(),
    events: z
      .array(eventSchema)
      .max(LIMITS.eventsPerFragment, `at most ${LIMITS.eventsPerFragment} events per fragment`),
  })
  .superRefine((fragment, ctx) => {
    // Metadata that Cekura would reject at forward time is refused here, while the agent can still hear of it.
    fragment.events.forEach((event, i) => {
      if (event.kind !== "metadata") return;
      const found = metadataPatchProblem(fragment.mode, event.patch);
      if (found) ctx.addIssue({ code: "custom", path: ["events", i, "patch", found.field], message: found.problem });
    });
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
  .max(CLOSE_REASON_MAX_LENGTH)
  .regex(CLOSE_REASON_PATTERN, CLOSE_REASON_RULE);

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
export type CloseRequest = Wire.CloseRequest;

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

export const sessionStateSchema = z.enum(["open", "closing", "finalized", "aborted", "discarded", "erased"]);
export type SessionState = Wire.SessionState;
export const consentStateSchema = z.enum(["granted", "deferred", "aborted"]);
export type ConsentState = Wire.ConsentState;
export const forwardStatusSchema = z.enum(["none", "pending", "delivered", "dead_letter", "skipped"]);
export type ForwardStatus = Wire.ForwardStatus;

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

/** Compile-time proof that the schemas and the hand-written wire types (sdk/wire/types.ts) agree. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const wireTypesMatch: [
  Same<z.infer<typeof modeSchema>, Wire.Mode>,
  Same<z.infer<typeof logLevelSchema>, Wire.LogLevel>,
  Same<z.infer<typeof deferUploadSchema>, Wire.DeferUpload>,
  Same<z.infer<typeof eventSchema>, Wire.SessionEvent>,
  Same<z.infer<typeof closeRequestSchema>, Wire.CloseRequest>,
  Same<z.infer<typeof sessionStateSchema>, Wire.SessionState>,
  Same<z.infer<typeof consentStateSchema>, Wire.ConsentState>,
  Same<z.infer<typeof forwardStatusSchema>, Wire.ForwardStatus>,
] = [true, true, true, true, true, true, true, true];
void wireTypesMatch;
