/**
 * What both payloads do with a record's metadata: lift Cekura's top-level fields out of the user's
 * custom metadata, and add the Worker's own facts under one reserved key, so that no user key is
 * ever overwritten (the key is refused where metadata enters: sdk/metadata-fields.ts).
 */
import { LIFTED_FIELDS, liftedValueProblem, TRACER_METADATA_KEY } from "../../sdk/metadata-fields.ts";
import type { SessionRecord } from "../session/record.ts";

/** Caps on `session_logs`: the first entries are kept (the start of a call explains the rest). */
export const SESSION_LOGS_CAP = 200;
export const SESSION_LOGS_MAX_BYTES = 256 * 1024;

export { TRACER_METADATA_KEY };

/** How a payload is built beyond the record itself. */
export interface PayloadOptions {
  /** CEKURA_OTEL_ENDPOINT is set, so the session's spans are forwarded (or will be): only then is `trace_id` sent. */
  spansForwarded: boolean;
}

export type LiftedField = (typeof LIFTED_FIELDS)[keyof typeof LIFTED_FIELDS][number];

/**
 * The record's custom metadata without the mode's lifted fields, and those fields on their own.
 * A value of the wrong type (possible only in a record written before the checks at entry) stays in
 * metadata rather than being lifted: Cekura never rejects a call for it.
 */
export function splitMetadata(record: SessionRecord): {
  custom: Record<string, unknown>;
  lifted: Partial<Record<LiftedField, unknown>>;
} {
  const custom: Record<string, unknown> = { ...record.metadata };
  const lifted: Partial<Record<LiftedField, unknown>> = {};
  for (const field of LIFTED_FIELDS[record.mode]) {
    if (!(field in custom) || liftedValueProblem(field, custom[field]) !== undefined) continue;
    lifted[field] = custom[field];
    delete custom[field];
  }
  return { custom, lifted };
}

export function cappedLogs(logs: SessionRecord["logs"]): SessionRecord["logs"] {
  const encoder = new TextEncoder();
  const kept: SessionRecord["logs"] = [];
  let bytes = 0;
  for (const log of logs) {
    if (kept.length >= SESSION_LOGS_CAP) break;
    bytes += encoder.encode(JSON.stringify(log)).byteLength;
    if (bytes > SESSION_LOGS_MAX_BYTES) break;
    kept.push(log);
  }
  return kept;
}

/**
 * The Worker's facts about the call, the same in both modes except what only observe needs
 * (system messages, which track sends as messages; audio consent, track has no audio).
 */
export function tracerFacts(record: SessionRecord): Record<string, unknown> {
  const facts: Record<string, unknown> = {};
  if (record.sdk) {
    facts.sdk = { name: record.sdk.name, version: record.sdk.version };
    facts.runtime = {
      name: record.sdk.runtime,
      ...(record.sdk.runtimeVersion ? { version: record.sdk.runtimeVersion } : {}),
    };
  }
  if (record.logs.length > 0) {
    const kept = cappedLogs(record.logs);
    facts.session_logs = kept;
    if (record.logs.length > kept.length) facts.session_logs_dropped = record.logs.length - kept.length;
  }
  if (record.fragments.missing.length > 0) facts.missing_fragments = record.fragments.missing;
  if (record.mode === "observe") {
    const system = record.transcript.filter((t) => t.role === "system");
    if (system.length > 0) facts.system_messages = system.map((t) => ({ content: t.text, timestamp: t.startedAt }));
    if (record.consent.grantedAt) {
      facts.audio_consent_granted = true;
      facts.audio_consent_granted_at = record.consent.grantedAt;
    }
    if (record.consent.audioDropped) facts.audio_dropped = record.consent.audioDropped;
  }
  return facts;
}

/** The payload's `metadata`: the user's keys as they are, plus the Worker's facts under their own key. */
export function payloadMetadata(record: SessionRecord, custom: Record<string, unknown>): Record<string, unknown> {
  const facts = tracerFacts(record);
  return Object.keys(facts).length > 0 ? { ...custom, [TRACER_METADATA_KEY]: facts } : custom;
}

/** `trace_id` links the call to its trace; sent only when that trace reaches Cekura. */
export function traceIdField(record: SessionRecord, options: PayloadOptions): { trace_id?: string } {
  return record.traceId && options.spansForwarded ? { trace_id: record.traceId } : {};
}
