import type { SessionRecord } from "../session/record.ts";
import { jsonEncoded } from "./json-text.ts";
import { payloadMetadata, splitMetadata, traceIdField, type PayloadOptions } from "./tracer-metadata.ts";

export { SESSION_LOGS_CAP, SESSION_LOGS_MAX_BYTES } from "./tracer-metadata.ts";

export type PipecatEntry =
  | { role: "user" | "assistant"; content: string; start_time: number; end_time: number; timestamp: string }
  | { role: "tool_call"; data: { id: string; name: string; arguments: string }; timestamp: string }
  | {
      role: "tool_call_result";
      data: { id: string; name: string; result: string; is_error: boolean };
      timestamp: string;
    };

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
  customer_number?: string;
  dynamic_variables?: Record<string, unknown>;
  redact_fields?: string[];
}

/** Seconds from the record's start (the WAV's zero); a time stamped before observe() counts as 0. */
const seconds = (fromMs: number, isoTime: string) => Math.max(0, Math.round(Date.parse(isoTime) - fromMs) / 1000);

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
      entry: {
        role: t.role,
        content: t.text,
        start_time: seconds(start, t.startedAt),
        end_time: seconds(start, t.endedAt),
        timestamp: t.startedAt,
      },
    });
  }
  for (const call of record.toolCalls) {
    if (call.arguments !== null && call.calledAt !== null) {
      timed.push({
        at: Date.parse(call.calledAt),
        order: order++,
        entry: {
          role: "tool_call",
          data: { id: call.id, name: call.name, arguments: jsonEncoded(call.arguments) },
          timestamp: call.calledAt,
        },
      });
    }
    if (call.result !== null && call.resultAt !== null) {
      timed.push({
        at: Date.parse(call.resultAt),
        order: order++,
        entry: {
          role: "tool_call_result",
          data: { id: call.id, name: call.name, result: jsonEncoded(call.result), is_error: call.isError ?? false },
          timestamp: call.resultAt,
        },
      });
    }
  }
  return timed.sort((a, b) => a.at - b.at || a.order - b.order).map((t) => t.entry);
}

/** Builds the observe payload from a finalized record. Pure. */
export function buildObservePayload(record: SessionRecord, options: PayloadOptions): ObservePayload {
  const { custom, lifted } = splitMetadata(record);
  return {
    call_id: record.sessionId,
    agent: record.agentId,
    ...traceIdField(record, options),
    transcript_type: "pipecat",
    transcript_json: pipecatTranscript(record),
    main_agent_channel_index: 1,
    timestamp: record.startedAt,
    call_ended_reason: record.endedReason,
    metadata: payloadMetadata(record, custom),
    ...(lifted as Pick<ObservePayload, "customer_number" | "dynamic_variables" | "redact_fields">),
  };
}

/** The payload as multipart text fields (objects and arrays JSON-encoded, numbers as text). */
export function observeFormFields(payload: ObservePayload): [string, string][] {
  return Object.entries(payload)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]);
}
