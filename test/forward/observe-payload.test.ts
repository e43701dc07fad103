import { describe, expect, it } from "vitest";
import { buildObservePayload, observeFormFields, SESSION_LOGS_CAP } from "../../worker/forward/observe-payload.ts";
import { buildTrackPayload } from "../../worker/forward/track-payload.ts";
import { observeSchema, trackSchema } from "../../worker/local/cekura-standin.ts";
import type { SessionRecord } from "../../worker/session/record.ts";

const SPANS = { spansForwarded: true };

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
    sdk: { name: "cekura-edge-tracer", version: "0.1.0", runtime: "deno", runtimeVersion: "2.9.6" },
    ...extra,
  } as SessionRecord;
}

describe("observe and track payload builders (pure)", () => {
  it("lifts Cekura's top-level fields out of custom metadata and puts the Worker's facts under cekura_tracer", () => {
    const p = buildObservePayload(record(), SPANS);
    expect(p.trace_id).toBe("0af7651916cd43dd8448eb211c80319c");
    expect(p.dynamic_variables).toEqual({ name: "Ann" });
    expect(p.redact_fields).toEqual(["ssn"]);
    expect(p.metadata).toEqual({
      to_phone_number: "+1555",
      tier: 2,
      cekura_tracer: {
        sdk: { name: "cekura-edge-tracer", version: "0.1.0" },
        runtime: { name: "deno", version: "2.9.6" },
        system_messages: [{ content: "You are a bank agent.", timestamp: t(0) }],
        missing_fragments: [2],
      },
    });
    expect(observeSchema.safeParse(p).success).toBe(true);
  });

  it("never overwrites a user's key that shares a name with one of the Worker's facts", () => {
    const mine = {
      session_logs: "mine",
      system_messages: 1,
      missing_fragments: "none",
      audio_dropped: false,
      sdk: "my-sdk",
    };
    const logs = [{ level: "info" as const, message: "m", time: t(1) }];
    const p = buildObservePayload(
      record({ metadata: mine, logs, consent: { deferUpload: "audio", grantedAt: null, audioDropped: "no-consent" } }),
      SPANS,
    );
    expect(p.metadata).toMatchObject(mine);
    expect(p.metadata.cekura_tracer).toMatchObject({
      session_logs: logs,
      audio_dropped: "no-consent",
      sdk: { name: "cekura-edge-tracer", version: "0.1.0" },
    });
    const track = buildTrackPayload(record({ mode: "track", metadata: mine, logs }), SPANS);
    expect(track.calls[0]!.metadata).toMatchObject(mine);
    expect(track.calls[0]!.metadata.cekura_tracer).toMatchObject({ session_logs: logs });
  });

  it("sends trace_id only when the session's spans are forwarded to Cekura", () => {
    expect(buildObservePayload(record(), { spansForwarded: false }).trace_id).toBeUndefined();
    expect(buildTrackPayload(record({ mode: "track" }), { spansForwarded: false }).calls[0]!.trace_id).toBeUndefined();
    expect(buildTrackPayload(record({ mode: "track" }), SPANS).calls[0]!.trace_id).toBe(
      "0af7651916cd43dd8448eb211c80319c",
    );
    expect(buildObservePayload(record({ traceId: null }), SPANS).trace_id).toBeUndefined();
  });

  it("leaves a badly typed lifted value in metadata (from a record older than the checks), so Cekura cannot reject the call", () => {
    const p = buildObservePayload(
      record({ metadata: { customer_number: 5550001111, dynamic_variables: ["x"], redact_fields: "ssn" } }),
      SPANS,
    );
    expect(p.customer_number).toBeUndefined();
    expect(p.dynamic_variables).toBeUndefined();
    expect(p.redact_fields).toBeUndefined();
    expect(p.metadata).toMatchObject({ customer_number: 5550001111, dynamic_variables: ["x"], redact_fields: "ssn" });
    expect(observeSchema.safeParse(p).success).toBe(true);
    const track = buildTrackPayload(
      record({ mode: "track", metadata: { run_id: 12, to_phone_number: "+1555" } }),
      SPANS,
    );
    expect(track.calls[0]!.run_id).toBeUndefined();
    expect(track.calls[0]!.to_phone_number).toBe("+1555");
    expect(track.calls[0]!.metadata).toMatchObject({ run_id: 12 });
    expect(trackSchema.safeParse(track).success).toBe(true);
  });

  it("tells Cekura when audio consent was granted, or why the recording was dropped", () => {
    const granted = buildObservePayload(
      record({ consent: { deferUpload: true, grantedAt: t(5000), audioDropped: null } }),
      SPANS,
    );
    expect(granted.metadata.cekura_tracer).toMatchObject({
      audio_consent_granted: true,
      audio_consent_granted_at: t(5000),
    });
    const dropped = buildObservePayload(
      record({ consent: { deferUpload: "audio", grantedAt: null, audioDropped: "no-consent" } }),
      SPANS,
    );
    const facts = dropped.metadata.cekura_tracer as Record<string, unknown>;
    expect(facts.audio_consent_granted).toBeUndefined();
    expect(facts.audio_dropped).toBe("no-consent");
  });

  it("writes only what happened: a call without a result, a result without a call (with its error flag), seconds from the start", () => {
    expect(buildObservePayload(record(), SPANS).transcript_json).toEqual([
      { role: "user", content: "hi", start_time: 1.25, end_time: 1.9, timestamp: t(1250) },
      { role: "tool_call", data: { id: "a", name: "lookup", arguments: "{}" }, timestamp: t(2000) },
      { role: "tool_call_result", data: { id: "b", name: "late", result: '"ok"', is_error: true }, timestamp: t(3000) },
    ]);
  });

  it("caps session_logs the same way in both modes and says how many were dropped", () => {
    const logs = Array.from({ length: SESSION_LOGS_CAP + 5 }, (_, i) => ({
      level: "info" as const,
      message: `m${i}`,
      time: t(i),
    }));
    const big = Array.from({ length: 20 }, (_, i) => ({
      level: "info" as const,
      message: "x".repeat(60_000),
      time: t(i),
    }));
    for (const mode of ["observe", "track"] as const) {
      const facts = (r: SessionRecord) =>
        (mode === "observe" ? buildObservePayload(r, SPANS).metadata : buildTrackPayload(r, SPANS).calls[0]!.metadata)
          .cekura_tracer as Record<string, unknown>;
      const p = facts(record({ mode, logs }));
      expect((p.session_logs as unknown[]).length).toBe(SESSION_LOGS_CAP);
      expect(p.session_logs_dropped).toBe(5);
      const q = facts(record({ mode, logs: big }));
      expect((q.session_logs as unknown[]).length).toBe(4); // 256 KiB of JSON
      expect(q.session_logs_dropped).toBe(16);
    }
  });

  it("encodes multipart text fields as Cekura's form expects (JSON for objects, text for numbers)", () => {
    const fields = Object.fromEntries(observeFormFields(buildObservePayload(record(), SPANS)));
    expect(fields.agent).toBe("9");
    expect(fields.main_agent_channel_index).toBe("1");
    expect(JSON.parse(fields.transcript_json!)).toHaveLength(3);
    expect(JSON.parse(fields.metadata!).cekura_tracer.sdk).toEqual({ name: "cekura-edge-tracer", version: "0.1.0" });
    expect(fields.call_id).toBe("call-1");
  });

  it("track: phone numbers lifted, system kept as a role, error flag on results, logs and SDK facts in metadata", () => {
    const logs = [{ level: "warn" as const, message: "slow tool", time: t(2500), attributes: { ms: 900 } }];
    const p = buildTrackPayload(record({ mode: "track", logs }), SPANS);
    const call = p.calls[0]!;
    expect(p.agent_id).toBe(9);
    expect(call.to_phone_number).toBe("+1555");
    expect(call.metadata).toEqual({
      dynamic_variables: { name: "Ann" },
      redact_fields: ["ssn"],
      tier: 2,
      cekura_tracer: {
        sdk: { name: "cekura-edge-tracer", version: "0.1.0" },
        runtime: { name: "deno", version: "2.9.6" },
        session_logs: logs,
        missing_fragments: [2],
      },
    });
    expect(call.messages.map((m) => m.role)).toEqual(["system", "user", "function_call", "function_call_result"]);
    expect(call.messages[3]!.data).toEqual({ id: "b", name: "late", result: '"ok"', is_error: true });
    expect(trackSchema.safeParse(p).success).toBe(true);
  });

  it("the stand-in refuses what Cekura would not take: a result without is_error, unknown Worker facts", () => {
    const p = buildObservePayload(record(), SPANS);
    const noFlag = {
      ...p,
      transcript_json: p.transcript_json.map((e) =>
        e.role === "tool_call_result" ? { ...e, data: { id: "b", name: "late", result: "1" } } : e,
      ),
    };
    expect(observeSchema.safeParse(noFlag).success).toBe(false);
    expect(observeSchema.safeParse({ ...p, metadata: { cekura_tracer: { surprise: 1 } } }).success).toBe(false);
    const track = buildTrackPayload(record({ mode: "track" }), SPANS);
    const audioFact = {
      ...track,
      calls: [{ ...track.calls[0]!, metadata: { cekura_tracer: { audio_dropped: "no-consent" } } }],
    };
    expect(trackSchema.safeParse(audioFact).success).toBe(false);
  });

  it("sends tool arguments and results that are not valid JSON as JSON strings, so Cekura takes the call and the text is kept", () => {
    const calls = [
      {
        id: "a",
        name: "f",
        arguments: "{half",
        calledAt: t(2000),
        result: "plain text",
        isError: false,
        resultAt: t(2500),
      },
      { id: "b", name: "g", arguments: '{"x":1}', calledAt: t(3000), result: "42", isError: false, resultAt: t(3500) },
    ];
    const observe = buildObservePayload(record({ toolCalls: calls }), SPANS);
    const tools = observe.transcript_json.flatMap((e) => ("data" in e ? [e.data] : []));
    expect(tools.map((d) => ("arguments" in d ? d.arguments : d.result))).toEqual([
      '"{half"',
      '"plain text"',
      '{"x":1}',
      "42",
    ]);
    expect(observeSchema.safeParse(observe).success).toBe(true);
    const track = buildTrackPayload(record({ mode: "track", toolCalls: calls }), SPANS);
    expect(trackSchema.safeParse(track).success).toBe(true);
    const data = track.calls[0]!.messages.filter((m) => m.role.startsWith("function")).map((m) => m.data);
    expect(data.map((d) => JSON.parse(String("arguments" in d ? d.arguments : d.result)))).toEqual([
      "{half",
      "plain text",
      { x: 1 },
      42,
    ]);
  });
});
