import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { observeSchema, trackSchema } from "../../worker/local/cekura-standin.ts";
import { at, requestsFor, runCall, sessionId, startForwardHarness, type ForwardHarness } from "../support/forward-harness.ts";

// The sample call (test/support/forward-harness.ts): metadata {plan, customer_number}, user turn 1.0-2.2 s,
// tool call get_balance at 2.5 s, its result at 2.7 s, assistant turn 3.0-4.5 s, one info log at 4.6 s.
let h: ForwardHarness;
beforeAll(async () => {
  h = await startForwardHarness();
});
afterAll(() => h?.stop());

describe("payloads as Cekura receives them (../shared/cekura-contract.md)", () => {
  it("observe: POST /observability/v1/observe/ as JSON, field by field", async () => {
    const id = sessionId("golden-observe");
    const client = await runCall(h, id, "observe");
    expect((await client.waitForward(id, ["delivered", "dead_letter"])).status).toBe("delivered");
    const [request] = requestsFor(h.standIn, id);
    expect(request?.path).toBe("/observability/v1/observe/");
    expect(request?.method).toBe("POST");
    expect(request?.contentType).toBe("application/json");
    expect(request?.files).toEqual([]);
    const body = request?.body as Record<string, unknown>;

    expect(body.call_id).toBe(id); // the session id is Cekura's call id
    expect(body.agent).toBe(42); // an integer
    expect(body.transcript_type).toBe("pipecat");
    expect(body.main_agent_channel_index).toBe(1); // right channel = assistant
    expect(body.timestamp).toBe(at(0)); // call start, ISO-8601 UTC
    expect(body.call_ended_reason).toBe("customer-ended-call");
    expect(body.customer_number).toBe("+15550001111"); // lifted out of custom metadata
    expect("trace_id" in body).toBe(false); // no spans were sent for this call
    expect(body.metadata).toEqual({
      plan: "gold",
      session_logs: [{ level: "info", message: "answered", time: at(4600), attributes: { turn: 1 } }],
    });
    // Pipecat timed form: seconds from call start, plus our UTC timestamp on every entry, in call order.
    expect(body.transcript_json).toEqual([
      { role: "user", content: "What is my balance?", start_time: 1, end_time: 2.2, timestamp: at(1000) },
      { role: "tool_call", data: { id: "call_1", name: "get_balance", arguments: '{"account":"A-1"}' }, timestamp: at(2500) },
      { role: "tool_call_result", data: { id: "call_1", name: "get_balance", result: '{"balance":12.5}' }, timestamp: at(2700) },
      { role: "assistant", content: "It is 12.50 dollars.", start_time: 3, end_time: 4.5, timestamp: at(3000) },
    ]);
    expect(Object.keys(body).sort()).toEqual(
      ["agent", "call_ended_reason", "call_id", "customer_number", "main_agent_channel_index", "metadata", "timestamp", "transcript_json", "transcript_type"],
    );
    expect(observeSchema.safeParse(body).success).toBe(true);
  });

  it("track: POST to the simulation webhook with calls[], epoch-ms times, bot/user roles, function_call entries, no audio", async () => {
    const id = sessionId("golden-track");
    const client = await runCall(h, id, "track");
    expect((await client.waitForward(id, ["delivered", "dead_letter"])).status).toBe("delivered");
    const record = (await client.record(id)).json as { endedAt: string };
    const [request] = requestsFor(h.standIn, id);
    expect(request?.path).toBe("/test_framework/custom-provider-transcript-webhook/");
    expect(request?.contentType).toBe("application/json");
    expect(request?.files).toEqual([]);
    const body = request?.body as { agent_id: number; calls: Record<string, unknown>[] };

    expect(body.agent_id).toBe(42);
    expect(body.calls).toHaveLength(1);
    const call = body.calls[0]!;
    expect(call.id).toBe(id);
    expect(call.startedAt).toBe(at(0));
    expect(call.endedAt).toBe(record.endedAt);
    expect(call.endedReason).toBe("customer-ended-call");
    expect(call.metadata).toEqual({ plan: "gold", customer_number: "+15550001111" });
    const ms = (t: number) => Date.parse(at(t));
    expect(call.messages).toEqual([
      { role: "user", content: "What is my balance?", start_time: ms(1000), end_time: ms(2200), data: {} },
      {
        role: "function_call",
        content: '{"account":"A-1"}',
        start_time: ms(2500),
        end_time: ms(2500),
        data: { id: "call_1", name: "get_balance", arguments: '{"account":"A-1"}' },
      },
      {
        role: "function_call_result",
        content: '{"balance":12.5}',
        start_time: ms(2700),
        end_time: ms(2700),
        data: { id: "call_1", name: "get_balance", result: '{"balance":12.5}', is_error: false },
      },
      { role: "bot", content: "It is 12.50 dollars.", start_time: ms(3000), end_time: ms(4500), data: {} },
    ]);
    expect(Object.keys(call).sort()).toEqual(["endedAt", "endedReason", "id", "messages", "metadata", "startedAt"]);
    expect(trackSchema.safeParse(body).success).toBe(true);
  });

  it("skips nothing silently: a repeated track post of the same call is answered 409 by the stand-in", async () => {
    const id = sessionId("track-dup");
    const client = await runCall(h, id, "track");
    await client.waitForward(id, ["delivered"]);
    const [request] = requestsFor(h.standIn, id);
    const again = await fetch(`${h.standIn.url}/test_framework/custom-provider-transcript-webhook/`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-cekura-api-key": "k" },
      body: JSON.stringify(request?.body),
    });
    expect(again.status).toBe(409);
    expect(h.standIn.runs().filter((r) => requestsFor(h.standIn, id).includes(r))).toHaveLength(1);
  });
});
