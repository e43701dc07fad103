/**
 * Portable environment reading: an explicit `env` object (Workers bindings) wins, then Deno.env,
 * then process.env. Every access is guarded: a runtime without one, or one that denies permission
 * (Deno without --allow-env), reads as "unset" instead of crashing.
 */
export type EnvSource = Record<string, unknown> | undefined;

interface DenoLike {
  env?: { get(name: string): string | undefined };
}
interface ProcessLike {
  env?: Record<string, string | undefined>;
}

export function readEnv(name: string, env?: EnvSource): string | undefined {
  if (env) {
    try {
      const value = env[name];
      return typeof value === "string" ? value : undefined;
    } catch {
      return undefined;
    }
  }
  const g = globalThis as { Deno?: DenoLike; process?: ProcessLike };
  try {
    const fromDeno = g.Deno?.env?.get(name);
    if (fromDeno !== undefined) return fromDeno;
  } catch {
    // permission denied or no env: treat as unset
  }
  try {
    const fromProcess = g.process?.env?.[name];
    if (typeof fromProcess === "string") return fromProcess;
  } catch {
    // ignore
  }
  return undefined;
}

/** "false", "0", "no", "off" (any case) -> false; "true", "1", "yes", "on" -> true; otherwise undefined. */
export function envFlag(value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  const v = value.trim().toLowerCase();
  if (["false", "0", "no", "off"].includes(v)) return false;
  if (["true", "1", "yes", "on"].includes(v)) return true;
  return undefined;
}
