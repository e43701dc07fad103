import type { SessionRecord } from "../session/record.ts";
import { jsonEncoded } from "./json-text.ts";
import { payloadMetadata, splitMetadata, traceIdField, type PayloadOptions } from "./tracer-metadata.ts";

export interface TrackMessage {
  role: "bot" | "user" | "system" | "function_call" | "function_call_result";
  content: string;
  /** Epoch milliseconds. */
  start_time: number;
  end_time: number;
  data: Record<string, unknown>;
}

/** One call of Cekura's simulation webhook (`calls[]`). */
export interface TrackCall {
  id: string;
  startedAt: string;
  endedAt: string;
  trace_id?: string;
  messages: TrackMessage[];
  metadata: Record<string, unknown>;
  endedReason: string;
  to_phone_number?: string;
  from_phone_number?: string;
  run_id?: string;
}

export interface TrackPayload {
  agent_id: number;
  calls: TrackCall[];
}

const roleOf = { user: "user", assistant: "bot", system: "system" } as const;

/** Messages in call order with epoch-ms times; tool calls and results as function_call entries. */
export function trackMessages(record: SessionRecord): TrackMessage[] {
  const timed: { order: number; message: TrackMessage }[] = [];
  let order = 0;
  /** A message from `startedAt` to `endedAt` (ISO times); recorded order breaks ties in time. */
  const add = (
    role: TrackMessage["role"],
    content: string,
    startedAt: string,
    endedAt: string,
    data: Record<string, unknown>,
  ) =>
    timed.push({
      order: order++,
      message: { role, content, start_time: Date.parse(startedAt), end_time: Date.parse(endedAt), data },
    });
  for (const t of record.transcript) add(roleOf[t.role], t.text, t.startedAt, t.endedAt, {});
  for (const call of record.toolCalls) {
    if (call.arguments !== null && call.calledAt !== null)
      add("function_call", call.arguments, call.calledAt, call.calledAt, {
        id: call.id,
        name: call.name,
        arguments: jsonEncoded(call.arguments),
      });
    if (call.result !== null && call.resultAt !== null)
      add("function_call_result", call.result, call.resultAt, call.resultAt, {
        id: call.id,
        name: call.name,
        result: jsonEncoded(call.result),
        is_error: call.isError ?? false,
      });
  }
  return timed.sort((a, b) => a.message.start_time - b.message.start_time || a.order - b.order).map((t) => t.message);
}

/** Builds the simulation-webhook payload from a finalized track record. Pure; never carries audio. */
export function buildTrackPayload(record: SessionRecord, options: PayloadOptions): TrackPayload {
  const { custom, lifted } = splitMetadata(record);
  return {
    agent_id: record.agentId,
    calls: [
      {
        id: record.sessionId,
        startedAt: record.startedAt,
        endedAt: record.endedAt,
        ...traceIdField(record, options),
        messages: trackMessages(record),
        metadata: payloadMetadata(record, custom),
        endedReason: record.endedReason,
        ...(lifted as Pick<TrackCall, "to_phone_number" | "from_phone_number" | "run_id">),
      },
    ],
  };
}
