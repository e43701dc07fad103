import { backoffDelay } from "../../sdk/retry.ts";

/** What one attempt to reach Cekura came back with (no secrets in any field). */
export type AttemptResult =
  | { kind: "accepted"; status: number }
  | { kind: "duplicate"; status: number; body: string }
  | { kind: "retryable"; status: number | null; error: string; retryAfterMs?: number }
  | { kind: "rejected"; status: number; body: string }
  /** Nothing was sent: the record cannot be forwarded as it is (e.g. its recording is gone). */
  | { kind: "unsendable"; error: string };

/** Backoff before attempt n+1: random() * min(maxMs, baseMs * 2^(n-1)), the SDK's own rule (sdk/retry.ts). */
export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
}

export interface PolicyInput extends BackoffOptions {
  /** This attempt's number, 1-based (already counted before the request went out). */
  attempt: number;
  maxAttempts: number;
  /** Whether an earlier attempt may have reached Cekura (so a duplicate answer means ours arrived). */
  sentBefore: boolean;
  now: number;
  /** A hard deadline (track mode: call end + 5 minutes); no attempt may start after it. */
  deadline?: number;
  deadlineReason?: string;
  random?: () => number;
}

export type Decision =
  | { status: "delivered" }
  | { status: "dead_letter"; lastError: string }
  | { status: "pending"; nextAttemptAt: number; lastError: string };

/** Classifies an HTTP answer from Cekura. */
export function classifyResponse(status: number, body: string, retryAfterMs: number | undefined): AttemptResult {
  if (status >= 200 && status < 300) return { kind: "accepted", status };
  if (status === 409) return { kind: "duplicate", status, body };
  if (status === 408 || status === 429 || status >= 500) {
    return {
      kind: "retryable",
      status,
      error: describeHttp(status, body),
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    };
  }
  return { kind: "rejected", status, body };
}

export function describeHttp(status: number, body: string): string {
  const text = body.trim().slice(0, 1000);
  return text ? `HTTP ${status}: ${text}` : `HTTP ${status}`;
}

/**
 * Decides what follows an attempt: delivered, a next attempt (backoff with full jitter, never
 * before Retry-After), or dead-letter (final 4xx, attempts exhausted, or past the deadline).
 */
export function decide(result: AttemptResult, input: PolicyInput): Decision {
  switch (result.kind) {
    case "accepted":
      return { status: "delivered" };
    case "duplicate":
      if (input.sentBefore) return { status: "delivered" };
      return {
        status: "dead_letter",
        lastError: `${describeHttp(result.status, result.body)} (Cekura already has this call id and this session never sent it before: another call uses the id)`,
      };
    case "rejected":
      return { status: "dead_letter", lastError: describeHttp(result.status, result.body) };
    case "unsendable":
      return { status: "dead_letter", lastError: result.error };
    case "retryable": {
      if (input.attempt >= input.maxAttempts) {
        return { status: "dead_letter", lastError: `gave up after ${input.attempt} attempts; last: ${result.error}` };
      }
      const jitter = backoffDelay(input.attempt, { baseDelayMs: input.baseMs, maxDelayMs: input.maxMs }, input.random);
      const next = input.now + Math.max(jitter, result.retryAfterMs ?? 0);
      if (input.deadline !== undefined && next > input.deadline) {
        return {
          status: "dead_letter",
          lastError: `${input.deadlineReason ?? "deadline passed"}; next attempt at ${new Date(next).toISOString()} would be too late; last: ${result.error}`,
        };
      }
      return { status: "pending", nextAttemptAt: next, lastError: result.error };
    }
  }
}
