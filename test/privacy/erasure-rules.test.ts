/**
 * The erasure's rules over a session's meta (worker/privacy/erase.ts), which the session Durable Object
 * applies: what is noted before anything is deleted, and what the tombstone keeps.
 */
import { describe, expect, it } from "vitest";
import { erasedBefore, erasedTombstone, markErasing } from "../../worker/privacy/erase.ts";
import { newSessionMeta, type SessionMeta } from "../../worker/session/meta.ts";
import { uniqueId } from "../support/ids.ts";

const NOW = Date.UTC(2026, 10, 26, 10);
const noFacts = { sentAttempts: 0, spansForwarded: false, traceIds: [] };

function finalized(forward: SessionMeta["forward"]): SessionMeta {
  const caller = { sessionId: uniqueId("rules"), tenant: "tenant-a" };
  return newSessionMeta(
    {
      ...caller,
      agentId: 7,
      mode: "observe",
      deferUpload: false,
      state: "finalized",
      consent: "granted",
      finalizedAt: NOW - 1000,
      recordKey: `records/tenant-a/${caller.sessionId}.json`,
      forward,
    },
    NOW - 60_000,
  );
}

describe("the erasure's rules", () => {
  it("stops a pending forward and notes that an attempt may already have reached Cekura", () => {
    const meta = finalized({ status: "pending", attempts: 2, nextAttemptAt: NOW + 5000 });
    const erasing = markErasing(meta, meta, NOW, "request", {
      sentAttempts: 2,
      spansForwarded: false,
      traceIds: ["t1"],
    });
    expect(erasing).toMatchObject({ state: "erased", erasedAt: NOW, forward: { status: "none", attempts: 2 } });
    expect(erasing.erasure).toEqual({
      complete: false,
      reason: "request",
      forwarded: true,
      spansForwarded: false,
      traceIds: ["t1"],
      recordKey: meta.recordKey,
    });
    expect(meta.state).toBe("finalized");
  });

  it("keeps a delivered forward, and the tombstone keeps only ids, times and what reached Cekura", () => {
    const meta = finalized({ status: "delivered", attempts: 1, deliveredAt: NOW - 500 });
    const tombstone = erasedTombstone(markErasing(meta, meta, NOW, "retention", noFacts), NOW);
    expect(tombstone).toMatchObject({
      sessionId: meta.sessionId,
      state: "erased",
      endedReason: "erased",
      destroyComplete: true,
    });
    expect(tombstone.forward).toEqual({ status: "delivered", attempts: 1, deliveredAt: NOW - 500 });
    expect(tombstone.erasure).toEqual({
      complete: true,
      reason: "retention",
      forwarded: true,
      spansForwarded: false,
      traceIds: [],
    });
    expect(tombstone.recordKey).toBeUndefined();
    expect(erasedBefore(tombstone)).toMatchObject({ state: "erased", reason: "retention", forwardedToCekura: true });
  });

  it("makes a session never seen a tombstone too, and an erasure that stopped midway is not counted as done", () => {
    const caller = { sessionId: uniqueId("unknown"), tenant: "tenant-b" };
    const erasing = markErasing(undefined, caller, NOW, "request", noFacts);
    expect(erasing).toMatchObject({
      sessionId: caller.sessionId,
      tenant: "tenant-b",
      state: "erased",
      erasure: { complete: false },
    });
    expect(erasedBefore(erasing)).toBeUndefined();
    expect(erasedBefore(erasedTombstone(erasing, NOW))).toMatchObject({ forwardedToCekura: false, cekura: null });
  });
});
