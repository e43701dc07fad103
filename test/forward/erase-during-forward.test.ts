import { describe, expect, it } from "vitest";
import { sessionId, useForwardHarness } from "../support/forward-harness.ts";

// Backoff base 0.2 s, max 1 s, 4 attempts, 3 s per attempt (see FORWARD_TEST_VARS).
const h = useForwardHarness();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("an erasure while a forward attempt is out", () => {
  it("keeps the tombstone: the attempt's late answer neither brings the forward back nor starts a retry", async () => {
    const id = sessionId("erase-in-flight");
    // Cekura answers 503 (retryable) 1.5 s after the request arrives.
    h.standIn.plan({ endpoint: "observe", delayMs: 1500, status: 503 });
    const client = await h.runCall(id);
    for (let i = 0; h.requests(id).length === 0; i++) {
      if (i > 200) throw new Error("the forward attempt never reached the stand-in");
      await sleep(25);
    }

    const erased = await client.call("DELETE", `/v1/sessions/${id}`);
    expect(erased.status).toBe(200);
    expect(erased.json).toMatchObject({ state: "erased", forwardedToCekura: true });

    // The 503 arrives, and a retry would have come within the 1 s backoff ceiling.
    await sleep(3500);
    const status = await client.status(id);
    expect(status.json.state).toBe("erased");
    expect(status.json.forward).toMatchObject({ status: "none", nextAttemptAt: null });
    expect(h.requests(id)).toHaveLength(1);
  });
});
