/**
 * The tool JSON rule (docs/sdk.md): toolCall arguments and toolResult results are any JSON value; a string
 * whose text is a JSON object or array (OpenAI's `arguments` is one) is taken as that JSON, not encoded again.
 * Any other string is a string value. Checked in the payload Cekura's stand-in receives.
 */
import { describe, expect, it } from "vitest";
import { sessionId, useForwardHarness } from "../support/forward-harness.ts";

const h = useForwardHarness();

type Entry = { role: string; data?: { id: string; arguments?: string; result?: string } };

describe("tool arguments and results reach Cekura encoded once", () => {
  it("sends the same JSON text for an object and for its already-encoded string, and a plain string as a string", async () => {
    const tracer = h.tracer({ enableOtelTraces: false });
    const s = tracer.observe({ sessionId: sessionId("tool-json") });
    s.transcript({ role: "user", text: "balance?" });
    s.toolCall({ id: "obj", name: "lookup", arguments: { account: "A-1" } });
    s.toolResult({ id: "obj", result: [1, 2] });
    s.toolCall({ id: "str", name: "lookup", arguments: '{"account":"A-1"}' });
    s.toolResult({ id: "str", result: " [1,2] " });
    s.toolCall({ id: "plain", name: "echo", arguments: "not json {" });
    s.toolResult({ id: "plain", result: "ok" });
    expect(await s.close()).toMatchObject({ state: "finalized" });
    expect((await h.api().waitForward(s.id, ["delivered", "dead_letter"])).status).toBe("delivered");
    const body = h.requests(s.id)[0]!.body as { transcript_json: Entry[] };
    const data = (role: string, id: string) =>
      body.transcript_json.find((e) => e.role === role && e.data?.id === id)!.data!;
    expect(data("tool_call", "obj").arguments).toBe('{"account":"A-1"}');
    expect(data("tool_call", "str").arguments).toBe('{"account":"A-1"}');
    expect(JSON.parse(data("tool_call_result", "obj").result!)).toEqual([1, 2]);
    expect(JSON.parse(data("tool_call_result", "str").result!)).toEqual([1, 2]);
    expect(data("tool_call", "plain").arguments).toBe('"not json {"');
    expect(data("tool_call_result", "plain").result).toBe('"ok"');
  });
});
