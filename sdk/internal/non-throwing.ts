/**
 * Recording calls never throw into the agent (the Python tracer's promise: the pipeline runs identically).
 * `guardRecordingCalls` replaces each named method of one object with a wrapper that hands anything the
 * method throws to `rejected` and returns what `rejected` returns (undefined, or a no-op value).
 */
export function guardRecordingCalls(
  target: object,
  names: readonly string[],
  rejected: (call: string, error: unknown) => unknown,
): void {
  const methods = target as Record<string, unknown>;
  for (const name of names) {
    const method = methods[name];
    if (typeof method !== "function") continue;
    Object.defineProperty(target, name, {
      configurable: true,
      writable: true,
      value: function recordingCall(...args: unknown[]): unknown {
        try {
          return method.apply(target, args);
        } catch (error) {
          return rejected(name, error);
        }
      },
    });
  }
}
