/**
 * Issue 29 item 11: a span batch on its way to the OTel collector when `DELETE` comes in may have reached
 * it, so the erasure receipt must say the call may be in Cekura (forwardedToCekura: true). The stand-in
 * collector holds its answer, so the DELETE lands while the batch is out.
 */
import { expect, it } from "vitest";
import { sampleFragment, sessionId, useForwardHarness } from "../support/forward-harness.ts";
import { spanRequest } from "../support/otlp-json.ts";

// The harness points CEKURA_OTEL_ENDPOINT at the stand-in's collector.
const h = useForwardHarness();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

it("counts a span batch in flight during DELETE as possibly forwarded", async () => {
  const id = sessionId("erase-spans-in-flight");
  const client = h.api();
  expect((await client.fragment(id, sampleFragment("observe"))).status).toBe(200);
  // The collector takes the batch and answers 3 s later.
  h.standIn.plan({ endpoint: "traces", delayMs: 3000, status: 200 });
  expect((await client.call("POST", "/v1/traces", spanRequest(id, "a turn", undefined, "llm"))).status).toBe(200);
  for (let i = 0; !h.standIn.received.some((r) => r.endpoint === "traces"); i++) {
    if (i > 400) throw new Error("the span batch never reached the collector");
    await sleep(25);
  }
  const erased = await client.call("DELETE", `/v1/sessions/${id}`);
  expect(erased.status).toBe(200);
  expect(erased.json).toMatchObject({ state: "erased", forwardedToCekura: true });
  expect(String(erased.json.cekura)).toContain("OTel collector");
});
