import { describe, expect, it } from "vitest";
import { observeSchema, trackSchema } from "../../worker/local/cekura-schemas.ts";
import { api, at, sampleFragment, sessionId, useForwardHarness } from "../support/forward-harness.ts";

// The sample call (test/support/forward-harness.ts): metadata {plan, customer_number}, user turn 1.0-2.2 s,
// tool call get_balance at 2.5 s, its result at 2.7 s, assistant turn 3.0-4.5 s, one info log at 4.6 s.
// The golden calls below add what the SDK sends (its facts), a failing tool, a system message, a user key
// named like one of the Worker's facts, the lifted fields of the mode, and one span (so the call names its trace).
const h = useForwardHarness();

const SDK = { name: "cekura-edge-tracer", version: "0.1.0", runtime: "node", runtimeVersion: "20.20.0" };
const FACTS = { sdk: { name: "cekura-edge-tracer", version: "0.1.0" }, runtime: { name: "node", version: "20.20.0" } };
const LOG = { level: "info", message: "answered", time: at(4600), attributes: { turn: 1 } };

/** One tool call in track's messages[]: its function_call entry, then its function_call_result (epoch-ms times). */
function trackToolMessages(
  ms: (t: number) => number,
  call: { id: string; name: string; arguments: string; at: number },
  answer: { result: string; is_error: boolean; at: number },
) {
  const { id, name } = call;
  return [
    {
      role: "function_call",
      content: call.arguments,
      start_time: ms(call.at),
      end_time: ms(call.at),
      data: { id, name, arguments: call.arguments },
    },
    {
      role: "function_call_result",
      content: answer.result,
      start_time: ms(answer.at),
      end_time: ms(answer.at),
      data: { id, name, result: answer.result, is_error: answer.is_error },
    },
  ];
}

/** The sample call plus the extras above; closes it once its one span is stored; returns its trace id. */
async function goldenCall(id: string, mode: "observe" | "track", lifted: Record<string, unknown>): Promise<string> {
  const client = h.api();
  const sample = sampleFragment(mode);
  const events = [
    ...sample.events,
    { kind: "metadata", patch: { ...lifted, session_logs: "the user's own key" }, time: at(100) },
    { kind: "transcript", role: "system", text: "You are a bank agent.", startedAt: at(500), endedAt: at(500) },
    { kind: "tool_call", id: "call_2", name: "transfer", arguments: "{}", time: at(4700) },
    { kind: "tool_result", id: "call_2", result: '{"error":"denied"}', isError: true, time: at(4800) },
  ];
  const sent = await client.fragment(id, { ...sample, sdk: SDK, events });
  expect(sent.status, JSON.stringify(sent.json)).toBe(200);
  const traceId = crypto.randomUUID().replaceAll("-", "");
  const span = {
    traceId,
    spanId: "0123456789abcdef",
    name: "conversation",
    startTimeUnixNano: "1795608000000000000",
    endTimeUnixNano: "1795608001000000000",
    attributes: [{ key: "conversation.id", value: { stringValue: id } }],
  };
  expect((await client.traces({ resourceSpans: [{ scopeSpans: [{ spans: [span] }] }] })).json).toEqual({});
  const closed = await client.close(id, { lastSeq: 0, reason: "customer-ended-call" });
  expect(closed.json.state).toBe("finalized");
  expect((await client.settled(id)).status).toBe("delivered");
  return traceId;
}

describe("payloads as Cekura receives them (docs/forwarding.md)", () => {
  it("observe: POST /observability/v1/observe/ as JSON, field by field", async () => {
    const id = sessionId("golden-observe");
    const traceId = await goldenCall(id, "observe", { dynamic_variables: { name: "Ann" }, redact_fields: ["ssn"] });
    const [request] = h.requests(id);
    expect(request?.path).toBe("/observability/v1/observe/");
    expect(request?.method).toBe("POST");
    expect(request?.contentType).toBe("application/json");
    expect(request?.files).toEqual([]);
    expect(request?.answer).toEqual({ status: 201, fault: false });
    const body = request?.body as Record<string, unknown>;

    expect(body.call_id).toBe(id); // the session id is Cekura's call id
    expect(body.agent).toBe(42); // an integer
    expect(body.trace_id).toBe(traceId); // its spans go to Cekura's collector
    expect(body.transcript_type).toBe("pipecat");
    expect(body.main_agent_channel_index).toBe(1); // right channel = assistant
    expect(body.timestamp).toBe(at(0)); // call start, ISO-8601 UTC
    expect(body.call_ended_reason).toBe("customer-ended-call");
    // Lifted out of custom metadata.
    expect(body.customer_number).toBe("+15550001111");
    expect(body.dynamic_variables).toEqual({ name: "Ann" });
    expect(body.redact_fields).toEqual(["ssn"]);
    // The user's keys as they are; the Worker's facts under their own key.
    expect(body.metadata).toEqual({
      plan: "gold",
      session_logs: "the user's own key",
      cekura_tracer: {
        ...FACTS,
        session_logs: [LOG],
        system_messages: [{ content: "You are a bank agent.", timestamp: at(500) }],
      },
    });
    // Pipecat timed form: seconds from call start, plus our UTC timestamp on every entry, in call order.
    expect(body.transcript_json).toEqual([
      { role: "user", content: "What is my balance?", start_time: 1, end_time: 2.2, timestamp: at(1000) },
      {
        role: "tool_call",
        data: { id: "call_1", name: "get_balance", arguments: '{"account":"A-1"}' },
        timestamp: at(2500),
      },
      {
        role: "tool_call_result",
        data: { id: "call_1", name: "get_balance", result: '{"balance":12.5}', is_error: false },
        timestamp: at(2700),
      },
      { role: "assistant", content: "It is 12.50 dollars.", start_time: 3, end_time: 4.5, timestamp: at(3000) },
      { role: "tool_call", data: { id: "call_2", name: "transfer", arguments: "{}" }, timestamp: at(4700) },
      {
        role: "tool_call_result",
        data: { id: "call_2", name: "transfer", result: '{"error":"denied"}', is_error: true },
        timestamp: at(4800),
      },
    ]);
    expect(Object.keys(body).sort()).toEqual(
      "agent call_ended_reason call_id customer_number dynamic_variables main_agent_channel_index metadata redact_fields timestamp trace_id transcript_json transcript_type".split(
        " ",
      ),
    );
    expect(observeSchema.safeParse(body).success).toBe(true);
  });

  it("observe without spans: no trace_id, and no SDK facts when the sender did not say", async () => {
    const id = sessionId("golden-observe-plain");
    const client = await h.runCall(id, "observe");
    expect((await client.settled(id)).status).toBe("delivered");
    const body = h.requests(id)[0]?.body as Record<string, unknown>;
    expect("trace_id" in body).toBe(false);
    expect(body.metadata).toEqual({ plan: "gold", cekura_tracer: { session_logs: [LOG] } });
  });

  it("track: POST to the simulation webhook with calls[], epoch-ms times, bot/user roles, function_call entries, logs, no audio", async () => {
    const id = sessionId("golden-track");
    const traceId = await goldenCall(id, "track", {
      to_phone_number: "+15550002222",
      from_phone_number: "+15550003333",
      run_id: "run-7",
    });
    const record = (await h.api().record(id)).json as { endedAt: string };
    const [request] = h.requests(id);
    expect(request?.path).toBe("/test_framework/custom-provider-transcript-webhook/");
    expect(request?.contentType).toBe("application/json");
    expect(request?.files).toEqual([]);
    expect(request?.answer).toEqual({ status: 200, fault: false });
    const body = request?.body as { agent_id: number; calls: Record<string, unknown>[] };

    expect(body.agent_id).toBe(42);
    expect(body.calls).toHaveLength(1);
    const call = body.calls[0]!;
    expect(call.id).toBe(id);
    expect(call.startedAt).toBe(at(0));
    expect(call.endedAt).toBe(record.endedAt);
    expect(call.endedReason).toBe("customer-ended-call");
    expect(call.trace_id).toBe(traceId);
    expect(call.to_phone_number).toBe("+15550002222");
    expect(call.from_phone_number).toBe("+15550003333");
    expect(call.run_id).toBe("run-7");
    // customer_number is an observe field: in track it is the user's metadata like any other key.
    expect(call.metadata).toEqual({
      plan: "gold",
      customer_number: "+15550001111",
      session_logs: "the user's own key",
      cekura_tracer: { ...FACTS, session_logs: [LOG] },
    });
    const ms = (t: number) => Date.parse(at(t));
    expect(call.messages).toEqual([
      { role: "system", content: "You are a bank agent.", start_time: ms(500), end_time: ms(500), data: {} },
      { role: "user", content: "What is my balance?", start_time: ms(1000), end_time: ms(2200), data: {} },
      ...trackToolMessages(
        ms,
        { id: "call_1", name: "get_balance", arguments: '{"account":"A-1"}', at: 2500 },
        { result: '{"balance":12.5}', is_error: false, at: 2700 },
      ),
      { role: "bot", content: "It is 12.50 dollars.", start_time: ms(3000), end_time: ms(4500), data: {} },
      ...trackToolMessages(
        ms,
        { id: "call_2", name: "transfer", arguments: "{}", at: 4700 },
        { result: '{"error":"denied"}', is_error: true, at: 4800 },
      ),
    ]);
    expect(Object.keys(call).sort()).toEqual(
      "endedAt endedReason from_phone_number id messages metadata run_id startedAt to_phone_number trace_id".split(" "),
    );
    expect(trackSchema.safeParse(body).success).toBe(true);
  });

  it("skips nothing silently: a repeated track post of the same call is answered 409 by the stand-in", async () => {
    const id = sessionId("track-dup");
    const client = await h.runCall(id, "track");
    await client.waitForward(id, ["delivered"]);
    const [request] = h.requests(id);
    const again = await fetch(`${h.standIn.url}/test_framework/custom-provider-transcript-webhook/`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-cekura-api-key": "k" },
      body: JSON.stringify(request?.body),
    });
    expect(again.status).toBe(409);
    expect(h.standIn.runs().filter((r) => h.requests(id).includes(r))).toHaveLength(1);
  });
});
