/**
 * A Durable Object namespace binding that records the calls made on it (`jurisdiction(eu)`,
 * `idFromName(name)`, `get(hint)`) instead of running them: workerd does not implement jurisdictions
 * ("not implemented in workerd"), so placement is checked by what the Worker asks the platform for.
 */
export function recordingNamespace<Stub extends object>(calls: string[], stub: Stub) {
  const namespace = {
    jurisdiction(j: string) {
      calls.push(`jurisdiction(${j})`);
      return namespace;
    },
    idFromName(name: string) {
      calls.push(`idFromName(${name})`);
      return { name };
    },
    get(_id: unknown, options?: { locationHint?: string }) {
      calls.push(`get(${options?.locationHint ?? "-"})`);
      return stub;
    },
  };
  return namespace;
}
