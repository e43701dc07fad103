import { describe, expect, it } from "vitest";
import { sessionId, useForwardHarness } from "../support/forward-harness.ts";

// Backoff base 0.2 s, max 1 s, 4 attempts, 3 s per attempt (see FORWARD_TEST_VARS).
const h = useForwardHarness();

describe("the outbox's retries against the Cekura stand-in", () => {
  it("delivers exactly once when Cekura is down for 3 attempts and then up", async () => {
    const id = sessionId("down3");
    h.standIn.failNext(3, 503, "observe");
    const client = await h.runCall(id);
    const forward = await client.settled(id);
    expect(forward).toMatchObject({ status: "delivered", attempts: 4, lastError: expect.stringMatching(/^HTTP 503/) });
    expect(forward.deliveredAt).not.toBeNull();
    const requests = h.requests(id);
    expect(requests.map((r) => r.answer?.status)).toEqual([503, 503, 503, 201]);
    expect(h.storedCalls(id)).toHaveLength(1);
  });

  it("does not try again before Retry-After after a 429", async () => {
    const id = sessionId("ratelimited");
    h.standIn.plan({ endpoint: "observe", status: 429, retryAfter: 2 });
    const client = await h.runCall(id);
    const forward = await client.settled(id);
    expect(forward.status).toBe("delivered");
    const [first, second] = h.requests(id);
    expect(first?.answer?.status).toBe(429);
    expect(second?.answer?.status).toBe(201);
    // Retry-After: 2 -> the second request arrives at least 2 s after the 429 (a bound, not a speed claim).
    expect(Date.parse(second!.at) - Date.parse(first!.at)).toBeGreaterThanOrEqual(2000);
  });

  it("dead-letters a 400 at once with Cekura's field errors", async () => {
    const id = sessionId("rejected");
    h.standIn.plan({ endpoint: "observe", status: 400, body: { agent: ['Invalid pk "42" - object does not exist.'] } });
    const client = await h.runCall(id);
    const forward = await client.settled(id);
    expect(forward).toMatchObject({ status: "dead_letter", attempts: 1, nextAttemptAt: null });
    expect(forward.lastError).toBe('HTTP 400: {"agent":["Invalid pk \\"42\\" - object does not exist."]}');
    expect(h.requests(id)).toHaveLength(1);
  });

  it("dead-letters after the last attempt, and an operator re-queue delivers it once", async () => {
    const id = sessionId("exhausted");
    h.standIn.failNext(4, 502, "observe");
    const client = await h.runCall(id);
    const dead = await client.settled(id);
    expect(dead).toMatchObject({
      status: "dead_letter",
      attempts: 4,
      lastError: expect.stringMatching(/^gave up after 4 attempts; last: HTTP 502/),
    });

    const otherTenant = await h.api("someone-else").requeue(id);
    expect(otherTenant.status).toBe(404);

    const requeued = await client.requeue(id);
    expect(requeued.status).toBe(200);
    expect((requeued.json.forward as { status: string }).status).toBe("pending");
    const forward = await client.settled(id);
    expect(forward.status).toBe("delivered");
    expect(forward.attempts).toBe(1);
    expect(h.requests(id).map((r) => r.answer?.status)).toEqual([502, 502, 502, 502, 201]);

    const again = await client.requeue(id);
    expect(again.status).toBe(409);
    expect(again.json.error).toBe("not_dead_lettered");
  });

  it("counts a duplicate answer to a retry as delivered when the first answer was lost", async () => {
    const id = sessionId("lost-answer");
    // Cekura stores the call but the answer never arrives (the attempt times out after 3 s).
    h.standIn.plan({ endpoint: "observe", afterStore: true, hang: true });
    const client = await h.runCall(id);
    const forward = await client.settled(id);
    expect(forward.status).toBe("delivered");
    expect(forward.attempts).toBe(2);
    expect(forward.lastError).toMatch(/no answer within 3000 ms/);
    expect(h.requests(id).map((r) => r.answer?.status)).toEqual([0, 409]);
    expect(h.storedCalls(id)).toHaveLength(1);
  });

  it("forwards with the caller's own key, sent only in X-CEKURA-API-KEY", async () => {
    const id = sessionId("key");
    const client = await h.runCall(id, "observe", "tenant-own-cekura-key");
    await client.waitForward(id, ["delivered"]);
    const [request] = h.requests(id);
    expect(request?.apiKey).toBe("tenant-own-cekura-key");
    expect(request?.path).toBe("/observability/v1/observe/");
    const status = await client.status(id);
    expect(JSON.stringify(status.json)).not.toContain("tenant-own-cekura-key");
  });
});
