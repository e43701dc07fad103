import { describe, expect, it } from "vitest";
import { sessionId, useForwardHarness } from "../support/forward-harness.ts";

// Each eviction here is a hard one: the Worker process (workerd) is stopped and started again on the
// same persisted state, so every Durable Object loses its memory and in-flight requests.
const h = useForwardHarness();

describe("the outbox across evictions", () => {
  it("delivers exactly once when the Worker restarts between attempts", { timeout: 120_000 }, async () => {
    const id = sessionId("evict-between");
    h.standIn.plan({ endpoint: "observe", status: 429, retryAfter: 8 });
    const client = await h.runCall(id);
    await h.standIn.waitFor(() => h.requests(id).length === 1);
    const pending = await client.waitForward(id, ["pending"]);
    expect(pending.attempts).toBe(1);
    expect(pending.nextAttemptAt).not.toBeNull();

    await h.restartWorker();
    const forward = await h.api().settled(id);
    expect(forward).toMatchObject({ status: "delivered", attempts: 2 });
    expect(h.requests(id).map((r) => r.answer?.status)).toEqual([429, 201]);
    expect(h.storedCalls(id)).toHaveLength(1);
  });

  it("delivers exactly once when the Worker dies while Cekura is storing the call", { timeout: 120_000 }, async () => {
    const id = sessionId("evict-inflight");
    // Cekura stores the call, then never answers; the Worker is killed while it waits.
    h.standIn.plan({ endpoint: "observe", afterStore: true, hang: true });
    await h.runCall(id);
    await h.standIn.waitFor(() => h.storedCalls(id).length === 1);
    await h.restartWorker();

    const forward = await h.api().settled(id);
    expect(forward).toMatchObject({ status: "delivered", attempts: 2 });
    // The retry after the restart was answered "already exists": counted as delivered, stored once.
    expect(h.requests(id).map((r) => r.answer?.status)).toEqual([0, 409]);
    expect(h.storedCalls(id)).toHaveLength(1);
  });
});
