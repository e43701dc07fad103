/** Every default timeout and limit of the SDK, in one place (each is an option of `new CekuraTracer`). */
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
  /** How often queued audio is processed in the background. */
  audioPumpIntervalMs: 250,
} as const;
