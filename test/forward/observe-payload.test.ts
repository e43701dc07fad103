import { describe, expect, it } from "vitest";
import { buildObservePayload, observeFormFields, SESSION_LOGS_CAP } from "../../worker/forward/observe-payload.ts";
import { buildTrackPayload } from "../../worker/forward/track-payload.ts";
import { observeSchema, trackSchema } from "../../worker/local/cekura-standin.ts";
import type { SessionRecord } from "../../worker/session/record.ts";

const t = (ms: number) => new Date(Date.UTC(2026, 10, 25, 12, 0, 0) + ms).toISOString();

function record(extra: Partial<SessionRecord> = {}): SessionRecord {
  return {
    version: 1,
    sessionId: "call-1",
    agentId: 9,
    mode: "observe",
    startedAt: t(0),
    endedAt: t(10_000),
    durationSeconds: 10,
    endedReason: "agent-ended-call",
    finalizedAt: t(11_000),
    traceId: "0af7651916cd43dd8448eb211c80319c",
    transcript: [
      { role: "system", text: "You are a bank agent.", startedAt: t(0), endedAt: t(0) },
      { role: "user", text: "hi", startedAt: t(1250), endedAt: t(1900) },
    ],
    toolCalls: [
      { id: "a", name: "lookup", arguments: "{}", calledAt: t(2000), result: null, isError: null, resultAt: null },
      { id: "b", name: "late", arguments: null, calledAt: null, result: '"ok"', isError: true, resultAt: t(3000) },
    ],
    logs: [],
    turns: [],
    metadata: { dynamic_variables: { name: "Ann" }, redact_fields: ["ssn"], to_phone_number: "+1555", tier: 2 },
    consent: { deferUpload: false, grantedAt: null, audioDropped: null },
    audio: null,
    fragments: { received: 3, lastSeq: 3, missing: [2] },
    ...extra,
  } as SessionRecord;
}

describe("observe and track payload builders (pure)", () => {
  it("lifts Cekura's top-level fields out of custom metadata and keeps the rest", () => {
    const p = buildObservePayload(record());
    expect(p.trace_id).toBe("0af7651916cd43dd8448eb211c80319c");
    expect(p.dynamic_variables).toEqual({ name: "Ann" });
    expect(p.redact_fields).toEqual(["ssn"]);
    expect(p.metadata).toEqual({
      to_phone_number: "+1555",
      tier: 2,
      system_messages: [{ content: "You are a bank agent.", timestamp: t(0) }],
      missing_fragments: [2],
    });
    expect(observeSchema.safeParse(p).success).toBe(true);
  });

  it("tells Cekura when audio consent was granted, or why the recording was dropped", () => {
    const granted = buildObservePayload(record({ consent: { deferUpload: true, grantedAt: t(5000), audioDropped: null } }));
    expect(granted.metadata).toMatchObject({ audio_consent_granted: true, audio_consent_granted_at: t(5000) });
    const dropped = buildObservePayload(record({ consent: { deferUpload: "audio", grantedAt: null, audioDropped: "no-consent" } }));
    expect(dropped.metadata.audio_consent_granted).toBeUndefined();
    expect(dropped.metadata.audio_dropped).toBe("no-consent");
  });

  it("writes only what happened: a call without a result, a result without a call, seconds from the start", () => {
    expect(buildObservePayload(record()).transcript_json).toEqual([
      { role: "user", content: "hi", start_time: 1.25, end_time: 1.9, timestamp: t(1250) },
      { role: "tool_call", data: { id: "a", name: "lookup", arguments: "{}" }, timestamp: t(2000) },
      { role: "tool_call_result", data: { id: "b", name: "late", result: '"ok"' }, timestamp: t(3000) },
    ]);
  });

  it("caps session_logs and says how many were dropped", () => {
    const logs = Array.from({ length: SESSION_LOGS_CAP + 5 }, (_, i) => ({ level: "info" as const, message: `m${i}`, time: t(i) }));
    const p = buildObservePayload(record({ logs }));
    expect((p.metadata.session_logs as unknown[]).length).toBe(SESSION_LOGS_CAP);
    expect(p.metadata.session_logs_dropped).toBe(5);
    const big = Array.from({ length: 20 }, (_, i) => ({ level: "info" as const, message: "x".repeat(60_000), time: t(i) }));
    const q = buildObservePayload(record({ logs: big }));
    expect((q.metadata.session_logs as unknown[]).length).toBe(4); // 256 KiB of JSON
    expect(q.metadata.session_logs_dropped).toBe(16);
  });

  it("encodes multipart text fields as Cekura's form expects (JSON for objects, text for numbers)", () => {
    const fields = Object.fromEntries(observeFormFields(buildObservePayload(record())));
    expect(fields.agent).toBe("9");
    expect(fields.main_agent_channel_index).toBe("1");
    expect(JSON.parse(fields.transcript_json!)).toHaveLength(3);
    expect(fields.call_id).toBe("call-1");
  });

  it("track: phone numbers lifted, system kept as a role, error flag on results", () => {
    const p = buildTrackPayload(record({ mode: "track" }));
    const call = p.calls[0]!;
    expect(p.agent_id).toBe(9);
    expect(call.to_phone_number).toBe("+1555");
    expect(call.metadata).toEqual({ dynamic_variables: { name: "Ann" }, redact_fields: ["ssn"], tier: 2 });
    expect(call.messages.map((m) => m.role)).toEqual(["system", "user", "function_call", "function_call_result"]);
    expect(call.messages[3]!.data).toEqual({ id: "b", name: "late", result: '"ok"', is_error: true });
    expect(trackSchema.safeParse(p).success).toBe(true);
  });
});
