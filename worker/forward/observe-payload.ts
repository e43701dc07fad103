import type { SessionRecord } from "../session/record.ts";

/** Caps on `metadata.session_logs`: the first entries are kept (the start of a call explains the rest). */
export const SESSION_LOGS_CAP = 200;
export const SESSION_LOGS_MAX_BYTES = 256 * 1024;

/** Keys of custom metadata that Cekura takes as top-level fields of the call. */
const PASS_THROUGH = ["customer_number", "dynamic_variables", "redact_fields"] as const;

export type PipecatEntry =
  | { role: "user" | "assistant"; content: string; start_time: number; end_time: number; timestamp: string }
  | { role: "tool_call"; data: { id: string; name: string; arguments: string }; timestamp: string }
  | { role: "tool_call_result"; data: { id: string; name: string; result: string }; timestamp: string };

/** The observe call as Cekura's `POST /observability/v1/observe/` takes it (JSON form). */
export interface ObservePayload {
  call_id: string;
  agent: number;
  trace_id?: string;
  transcript_type: "pipecat";
  transcript_json: PipecatEntry[];
  main_agent_channel_index: 1;
  timestamp: string;
  call_ended_reason: string;
  metadata: Record<string, unknown>;
  customer_number?: unknown;
  dynamic_variables?: unknown;
  redact_fields?: unknown;
}

const seconds = (fromMs: number, isoTime: string) => Math.round(Date.parse(isoTime) - fromMs) / 1000;

/** Speech and tool entries in call order, times in seconds from call start plus UTC timestamps. */
export function pipecatTranscript(record: SessionRecord): PipecatEntry[] {
  const start = Date.parse(record.startedAt);
  const timed: { at: number; order: number; entry: PipecatEntry }[] = [];
  let order = 0;
  for (const t of record.transcript) {
    if (t.role === "system") continue; // Pipecat's timed form has user/assistant speech only; kept in metadata.
    timed.push({
      at: Date.parse(t.startedAt),
      order: order++,
      entry: { role: t.role, content: t.text, start_time: seconds(start, t.startedAt), end_time: seconds(start, t.endedAt), timestamp: t.startedAt },
    });
  }
  for (const call of record.toolCalls) {
    if (call.arguments !== null && call.calledAt !== null) {
      timed.push({
        at: Date.parse(call.calledAt),
        order: order++,
        entry: { role: "tool_call", data: { id: call.id, name: call.name, arguments: call.arguments }, timestamp: call.calledAt },
      });
    }
    if (call.result !== null && call.resultAt !== null) {
      timed.push({
        at: Date.parse(call.resultAt),
        order: order++,
        entry: { role: "tool_call_result", data: { id: call.id, name: call.name, result: call.result }, timestamp: call.resultAt },
      });
    }
  }
  return timed.sort((a, b) => a.at - b.at || a.order - b.order).map((t) => t.entry);
}

function cappedLogs(logs: SessionRecord["logs"]): SessionRecord["logs"] {
  const kept: SessionRecord["logs"] = [];
  let bytes = 0;
  for (const log of logs) {
    if (kept.length >= SESSION_LOGS_CAP) break;
    bytes += new TextEncoder().encode(JSON.stringify(log)).byteLength;
    if (bytes > SESSION_LOGS_MAX_BYTES) break;
    kept.push(log);
  }
  return kept;
}

/** Builds the observe payload from a finalized record. Pure. */
export function buildObservePayload(record: SessionRecord): ObservePayload {
  const custom: Record<string, unknown> = { ...record.metadata };
  const lifted: Partial<Record<(typeof PASS_THROUGH)[number], unknown>> = {};
  for (const key of PASS_THROUGH) {
    if (key in custom) {
      lifted[key] = custom[key];
      delete custom[key];
    }
  }
  const metadata: Record<string, unknown> = { ...custom };
  if (record.logs.length > 0) {
    const kept = cappedLogs(record.logs);
    metadata.session_logs = kept;
    if (record.logs.length > kept.length) metadata.session_logs_dropped = record.logs.length - kept.length;
  }
  const system = record.transcript.filter((t) => t.role === "system");
  if (system.length > 0) metadata.system_messages = system.map((t) => ({ content: t.text, timestamp: t.startedAt }));
  if (record.fragments.missing.length > 0) metadata.missing_fragments = record.fragments.missing;
  if (record.consent.grantedAt) {
    metadata.audio_consent_granted = true;
    metadata.audio_consent_granted_at = record.consent.grantedAt;
  }
  if (record.consent.audioDropped) metadata.audio_dropped = record.consent.audioDropped;

  return {
    call_id: record.sessionId,
    agent: record.agentId,
    ...(record.traceId ? { trace_id: record.traceId } : {}),
    transcript_type: "pipecat",
    transcript_json: pipecatTranscript(record),
    main_agent_channel_index: 1,
    timestamp: record.startedAt,
    call_ended_reason: record.endedReason,
    metadata,
    ...lifted,
  };
}

/** The payload as multipart text fields (objects and arrays JSON-encoded, numbers as text). */
export function observeFormFields(payload: ObservePayload): [string, string][] {
  return Object.entries(payload)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]);
}
