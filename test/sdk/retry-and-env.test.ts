/** Pure parts of the SDK: retry policy and portable environment reading. */
import { afterEach, describe, expect, it } from "vitest";
import { readEnv, envFlag } from "../../sdk/internal/env.ts";
import {
  backoffDelay,
  DEFAULT_RETRY,
  isRetryableStatus,
  nextDelay,
  parseRetryAfter,
  resolveRetryOptions,
} from "../../sdk/retry.ts";

describe("retry policy", () => {
  it("retries 408, 429 and 5xx, never other 4xx", () => {
    expect([408, 429, 500, 502, 503, 504, 599].every(isRetryableStatus)).toBe(true);
    expect([400, 401, 403, 404, 409, 413, 415, 422].some(isRetryableStatus)).toBe(false);
  });

  it("full jitter stays within the doubling, capped ceiling", () => {
    const policy = { ...DEFAULT_RETRY, baseDelayMs: 100, maxDelayMs: 1000 };
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(n, policy, () => 0.999999))).toEqual([99, 199, 399, 799, 999]);
    expect(backoffDelay(3, policy, () => 0)).toBe(0);
  });

  it("reads Retry-After as seconds or an HTTP date, and caps it", () => {
    expect(parseRetryAfter("2")).toBe(2000);
    expect(parseRetryAfter("0.5")).toBe(500);
    const now = Date.parse("2026-11-25T12:00:00Z");
    expect(parseRetryAfter("Wed, 25 Nov 2026 12:00:03 GMT", now)).toBe(3000);
    expect(parseRetryAfter("soon")).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
    const policy = { ...DEFAULT_RETRY, maxRetryAfterMs: 1500 };
    expect(nextDelay(1, policy, "10", () => 0)).toBe(1500);
    expect(nextDelay(1, policy, "1", () => 0)).toBe(1000);
    expect(nextDelay(1, policy, null, () => 0)).toBe(0);
  });

  it("validates the policy with messages that name the option", () => {
    expect(() => resolveRetryOptions({ maxAttempts: 0 })).toThrow("retry.maxAttempts must be an integer >= 1, got 0");
    expect(() => resolveRetryOptions({ baseDelayMs: -1 })).toThrow("retry.baseDelayMs must be a number >= 0");
    expect(resolveRetryOptions({ maxAttempts: 2 }).maxAttempts).toBe(2);
  });
});

describe("portable env reading", () => {
  const g = globalThis as { Deno?: unknown };
  afterEach(() => {
    delete g.Deno;
    delete process.env.CEKURA_TEST_VALUE;
  });

  it("prefers an explicit env object, then Deno.env, then process.env", () => {
    process.env.CEKURA_TEST_VALUE = "from-process";
    expect(readEnv("CEKURA_TEST_VALUE")).toBe("from-process");
    g.Deno = { env: { get: (name: string) => (name === "CEKURA_TEST_VALUE" ? "from-deno" : undefined) } };
    expect(readEnv("CEKURA_TEST_VALUE")).toBe("from-deno");
    expect(readEnv("CEKURA_TEST_VALUE", { CEKURA_TEST_VALUE: "from-env-object" })).toBe("from-env-object");
    // An env object is authoritative: what it lacks is unset, not read from elsewhere.
    expect(readEnv("CEKURA_TEST_VALUE", {})).toBeUndefined();
    expect(readEnv("CEKURA_TEST_VALUE", { CEKURA_TEST_VALUE: 42 })).toBeUndefined();
  });

  it("treats a denied Deno.env as unset instead of crashing", () => {
    process.env.CEKURA_TEST_VALUE = "from-process";
    g.Deno = {
      env: {
        get() {
          throw new Error('NotCapable: Requires env access to "CEKURA_TEST_VALUE"');
        },
      },
    };
    expect(readEnv("CEKURA_TEST_VALUE")).toBe("from-process");
  });

  it("reads flags leniently", () => {
    expect(["false", "0", "no", "OFF", " False "].map(envFlag)).toEqual([false, false, false, false, false]);
    expect(["true", "1", "yes", "on"].map(envFlag)).toEqual([true, true, true, true]);
    expect(envFlag("maybe")).toBeUndefined();
    expect(envFlag(undefined)).toBeUndefined();
  });
});
