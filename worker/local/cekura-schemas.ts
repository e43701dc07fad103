/**
 * What the Cekura stand-in accepts: the shapes of the forwarding contract (observe call, simulation
 * webhook), checked with zod, and Cekura-style field errors for a 400.
 */
import { z } from "zod";

const isoDate = z
  .string()
  .refine(
    (v) => !Number.isNaN(Date.parse(v)) && /T.*(Z|[+-]\d{2}:?\d{2})$/.test(v),
    "Enter a valid ISO-8601 date-time with a time zone.",
  );
const jsonString = z.string().refine((v) => {
  try {
    JSON.parse(v);
    return true;
  } catch {
    return false;
  }
}, "Must be a JSON-encoded string.");
const traceId = z.string().regex(/^[0-9a-f]{32}$/, "Must be 32 lower-case hex characters.");

const logEntry = z
  .object({
    level: z.enum(["debug", "info", "warn", "error"]),
    message: z.string(),
    time: isoDate,
    attributes: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

/** The Worker's own facts under `metadata.cekura_tracer`: the same in both modes, plus observe-only ones. */
const trackFacts = z
  .object({
    sdk: z
      .object({ name: z.string().min(1), version: z.string() })
      .strict()
      .optional(),
    runtime: z
      .object({ name: z.string().min(1), version: z.string().optional() })
      .strict()
      .optional(),
    session_logs: z.array(logEntry).max(200).optional(),
    session_logs_dropped: z.number().int().positive().optional(),
    missing_fragments: z.array(z.number().int().nonnegative()).min(1).optional(),
  })
  .strict();
const observeFacts = trackFacts
  .extend({
    system_messages: z
      .array(z.object({ content: z.string(), timestamp: isoDate }).strict())
      .min(1)
      .optional(),
    audio_consent_granted: z.literal(true).optional(),
    audio_consent_granted_at: isoDate.optional(),
    audio_dropped: z.enum(["abort-recording", "no-consent"]).optional(),
  })
  .strict();

const metadataWith = (facts: z.ZodType) => z.object({ cekura_tracer: facts.optional() }).catchall(z.unknown());

const pipecatEntry = z.union([
  z.object({
    role: z.enum(["user", "assistant"]),
    content: z.string(),
    start_time: z.number().nonnegative(),
    end_time: z.number().nonnegative(),
    timestamp: isoDate.optional(),
  }),
  z.object({
    role: z.literal("tool_call"),
    data: z.object({ id: z.string(), name: z.string(), arguments: jsonString }),
    timestamp: isoDate.optional(),
  }),
  z.object({
    role: z.literal("tool_call_result"),
    data: z.object({ id: z.string(), name: z.string(), result: jsonString, is_error: z.boolean() }),
    timestamp: isoDate.optional(),
  }),
]);

export const observeSchema = z
  .object({
    call_id: z.string().min(1).max(100, "Ensure this field has no more than 100 characters."),
    agent: z.coerce.number().int().positive(),
    trace_id: traceId.optional(),
    transcript_type: z.enum(["pipecat", "vapi", "retell", "livekit", "elevenlabs", "cekura"]),
    transcript_json: z.array(pipecatEntry),
    voice_recording_url: z.string().url().optional(),
    main_agent_channel_index: z.coerce.number().int().min(0).max(1).optional(),
    timestamp: isoDate.optional(),
    call_ended_reason: z.string().max(255).optional(),
    metadata: metadataWith(observeFacts).optional(),
    customer_number: z.string().min(1).optional(),
    dynamic_variables: z.record(z.string(), z.unknown()).optional(),
    redact_fields: z.array(z.string()).optional(),
  })
  .strict();

const trackMessage = z
  .object({
    role: z.enum(["bot", "user", "system", "function_call", "function_call_result"]),
    content: z.string(),
    start_time: z.number().int().min(1e12, "Must be epoch milliseconds."),
    end_time: z.number().int().min(1e12, "Must be epoch milliseconds."),
    data: z.record(z.string(), z.unknown()).optional(),
  })
  .refine((m) => m.role !== "function_call_result" || typeof m.data?.is_error === "boolean", {
    message: "A function_call_result needs data.is_error (true or false).",
    path: ["data", "is_error"],
  });

export const trackSchema = z.object({
  agent_id: z.number().int().positive(),
  calls: z
    .array(
      z.object({
        id: z.string().min(1).max(100),
        startedAt: isoDate,
        endedAt: isoDate,
        trace_id: traceId.optional(),
        messages: z.array(trackMessage),
        metadata: metadataWith(trackFacts).optional(),
        endedReason: z.string().optional(),
        to_phone_number: z.string().min(1).optional(),
        from_phone_number: z.string().min(1).optional(),
        run_id: z.string().min(1).optional(),
      }),
    )
    .min(1, "At least one call is required."),
});

const hex = (length: number) =>
  z.string().regex(new RegExp(`^[0-9a-f]{${length}}$`), `Must be ${length} lower-case hex characters.`);
const nanos = z.union([z.string().regex(/^\d{1,20}$/), z.number().int().nonnegative()]);

/** An OTLP/JSON ExportTraceServiceRequest as a collector takes it: hex ids, int64 nanoseconds, named spans. */
export const traceRequestSchema = z.object({
  resourceSpans: z.array(
    z
      .object({
        resource: z
          .object({ attributes: z.array(z.object({ key: z.string() }).passthrough()).optional() })
          .passthrough()
          .optional(),
        scopeSpans: z.array(
          z
            .object({
              scope: z.object({ name: z.string().optional() }).passthrough().optional(),
              spans: z.array(
                z
                  .object({
                    traceId: hex(32),
                    spanId: hex(16),
                    parentSpanId: z.union([z.literal(""), hex(16)]).optional(),
                    name: z.string().min(1),
                    startTimeUnixNano: nanos,
                    endTimeUnixNano: nanos,
                  })
                  .passthrough(),
              ),
            })
            .passthrough(),
        ),
      })
      .passthrough(),
  ),
});

/** A fault as the control API takes it (`POST /__standin/faults`). */
export const faultListSchema = z.array(
  z.object({
    endpoint: z.enum(["observe", "track", "traces"]).optional(),
    status: z.number().int().min(100).max(599).optional(),
    retryAfter: z.union([z.string(), z.number()]).optional(),
    delayMs: z.number().nonnegative().optional(),
    hang: z.boolean().optional(),
    afterStore: z.boolean().optional(),
    body: z.unknown().optional(),
  }),
);

/** Cekura-style (DRF) field errors: `{ "transcript_json.2.role": ["..."] }`. */
export function fieldErrors(error: z.ZodError): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const issue of error.issues) {
    const key = issue.path.length ? issue.path.join(".") : "non_field_errors";
    (out[key] ??= []).push(issue.message);
  }
  return out;
}
