import { describe, expect, it } from "vitest";
import { classifyResponse, decide, type PolicyInput } from "../../worker/forward/policy.ts";

const base: PolicyInput = {
  attempt: 1,
  maxAttempts: 5,
  sentBefore: false,
  now: 1_000_000,
  baseMs: 1000,
  maxMs: 60_000,
  random: () => 0.5,
};

describe("backoff and retry policy (pure)", () => {
  it("waits with full jitter under an exponential ceiling capped at the maximum (the SDK's backoff rule)", () => {
    const retryAt = (attempt: number, random: number) => {
      const decision = decide(
        { kind: "retryable", status: 503, error: "busy" },
        { ...base, attempt, maxAttempts: 10, maxMs: 10_000, random: () => random },
      );
      return decision.status === "pending" ? decision.nextAttemptAt - base.now : undefined;
    };
    expect([1, 2, 3, 4, 5, 6].map((n) => retryAt(n, 0.999999))).toEqual([999, 1999, 3999, 7999, 9999, 9999]);
    expect(retryAt(3, 0)).toBe(0);
  });

  it("classifies answers: 2xx delivered, 409 duplicate, 408/429/5xx retry, other 4xx final", () => {
    expect(classifyResponse(201, "", undefined).kind).toBe("accepted");
    expect(classifyResponse(200, "", undefined).kind).toBe("accepted");
    expect(classifyResponse(409, "exists", undefined).kind).toBe("duplicate");
    for (const s of [408, 429, 500, 502, 503, 504]) expect(classifyResponse(s, "", undefined).kind).toBe("retryable");
    for (const s of [400, 401, 403, 404, 413, 422]) expect(classifyResponse(s, "", undefined).kind).toBe("rejected");
  });

  it("waits for Retry-After when it is longer than the backoff", () => {
    const d = decide({ kind: "retryable", status: 429, error: "HTTP 429", retryAfterMs: 30_000 }, base);
    expect(d).toEqual({ status: "pending", nextAttemptAt: base.now + 30_000, lastError: "HTTP 429" });
    const short = decide(
      { kind: "retryable", status: 503, error: "HTTP 503", retryAfterMs: 10 },
      { ...base, attempt: 3 },
    );
    expect(short).toEqual({ status: "pending", nextAttemptAt: base.now + 2000, lastError: "HTTP 503" }); // 0.5 * 4000
  });

  it("counts a duplicate as delivered only when an earlier attempt may have reached Cekura", () => {
    expect(decide({ kind: "duplicate", status: 409, body: "{}" }, { ...base, attempt: 2, sentBefore: true })).toEqual({
      status: "delivered",
    });
    const first = decide({ kind: "duplicate", status: 409, body: '{"call_id":["exists"]}' }, base);
    expect(first.status).toBe("dead_letter");
  });

  it("dead-letters a final 4xx with Cekura's body, and after the last attempt", () => {
    expect(decide({ kind: "rejected", status: 400, body: '{"agent":["bad"]}' }, base)).toEqual({
      status: "dead_letter",
      lastError: 'HTTP 400: {"agent":["bad"]}',
    });
    const last = decide({ kind: "retryable", status: 503, error: "HTTP 503" }, { ...base, attempt: 5 });
    expect(last).toEqual({ status: "dead_letter", lastError: "gave up after 5 attempts; last: HTTP 503" });
  });

  it("dead-letters when the next attempt would fall after the deadline (track: 5 minutes after the call)", () => {
    const d = decide(
      { kind: "retryable", status: 429, error: "HTTP 429", retryAfterMs: 120_000 },
      {
        ...base,
        deadline: base.now + 60_000,
        deadlineReason: "Cekura listens for a track call only 300 s after it ends",
      },
    );
    expect(d.status).toBe("dead_letter");
    expect(d.status === "dead_letter" && d.lastError).toMatch(
      /^Cekura listens for a track call only 300 s after it ends; next attempt at .* would be too late; last: HTTP 429$/,
    );
  });
});
