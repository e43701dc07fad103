/** Retry policy: pure functions, no I/O, so they are easy to test. */
import { DEFAULTS } from "./defaults.ts";

export interface RetryOptions {
  /** Attempts per request, including the first (>= 1). */
  maxAttempts: number;
  /** First backoff ceiling in ms; doubles per attempt (full jitter picks in [0, ceiling]). */
  baseDelayMs: number;
  /** Largest backoff ceiling in ms. */
  maxDelayMs: number;
  /** A Retry-After longer than this is capped to it. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY: RetryOptions = { ...DEFAULTS.retry };

/** Validates a partial policy; messages name the option path. Returns the full policy. */
export function resolveRetryOptions(partial: Partial<RetryOptions> | undefined, path = "retry"): RetryOptions {
  const merged = { ...DEFAULT_RETRY, ...(partial ?? {}) };
  const check = (name: keyof RetryOptions, min: number, integer: boolean) => {
    const v = merged[name];
    if (typeof v !== "number" || !Number.isFinite(v) || v < min || (integer && !Number.isInteger(v))) {
      throw new RangeError(
        `${path}.${name} must be ${integer ? "an integer" : "a number"} >= ${min}, got ${String(v)}`,
      );
    }
  };
  check("maxAttempts", 1, true);
  check("baseDelayMs", 0, false);
  check("maxDelayMs", 0, false);
  check("maxRetryAfterMs", 0, false);
  return merged;
}

/** Network errors, 408, 429 and 5xx are worth another attempt; other 4xx never are. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status <= 599);
}

/** Full jitter: random() * min(max, base * 2^(attempt-1)); attempt counts from 1. */
export function backoffDelay(
  attempt: number,
  policy: Pick<RetryOptions, "baseDelayMs" | "maxDelayMs">,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * ceiling);
}

/** Retry-After as seconds or an HTTP date, in ms from `now`; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** The wait before the next attempt: the server's Retry-After (capped) wins over our own backoff. */
export function nextDelay(
  attempt: number,
  policy: RetryOptions,
  retryAfter: string | null | undefined,
  random?: () => number,
): number {
  const server = parseRetryAfter(retryAfter);
  if (server !== undefined) return Math.min(server, policy.maxRetryAfterMs);
  return backoffDelay(attempt, policy, random);
}
