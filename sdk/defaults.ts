/**
 * Every default time of the SDK, in one place. Each is an option of `new CekuraTracer({...})` (the
 * retry policy under `retry`, the audio pump under `audio`) except the audio chunk retry pauses.
 */
export const DEFAULTS = {
  /** One HTTP attempt gets no answer within this long: it is cancelled and retried. */
  requestTimeoutMs: 15_000,
  /** flush() rejects with TimeoutError after this long; delivery continues in the background. */
  flushTimeoutMs: 30_000,
  /**
   * close() resolves or rejects within this long, whatever the network does: flushing events and
   * the audio tail, sending close, and waiting for a `closing` session to finalize. Below the 30 s
   * a Worker's ctx.waitUntil() may run after the response.
   */
  closeTimeoutMs: 20_000,
  /** How long an event may wait before its fragment is sent. */
  flushIntervalMs: 1_000,
  /** Pause after the transport gave up on a fragment before trying it again. */
  redeliveryPauseMs: 2_000,
  /** Retries of one request: attempts, backoff ceilings (full jitter), and the cap on a Retry-After. */
  retry: { maxAttempts: 8, baseDelayMs: 100, maxDelayMs: 5_000, maxRetryAfterMs: 30_000 },
  /** How often queued audio is processed in the background. */
  audioPumpIntervalMs: 250,
  /** An audio chunk whose retries ran out is tried again after this pause, doubling up to the cap. */
  audioRetryPauseMs: 1_000,
  audioRetryMaxPauseMs: 30_000,
} as const;
