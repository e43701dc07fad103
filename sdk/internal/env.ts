/**
 * Portable environment reading: an explicit `env` object (Workers bindings) wins, then Deno.env,
 * then process.env. Every access is guarded: a runtime without one, or one that denies permission
 * (Deno without --allow-env), reads as "unset" instead of crashing.
 */
export type EnvSource = Record<string, unknown> | undefined;

interface DenoLike {
  env?: { get(name: string): string | undefined };
  permissions?: { querySync?(descriptor: { name: "env"; variable: string }): { state: string } };
  version?: { deno?: string };
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
  if (g.Deno) {
    // Asking first: a denied Deno.env.get throws, which costs more. Never prompts.
    try {
      const state = g.Deno.permissions?.querySync?.({ name: "env", variable: name }).state;
      const fromDeno = state === undefined || state === "granted" ? g.Deno.env?.get(name) : undefined;
      if (fromDeno !== undefined) return fromDeno;
    } catch {
      // permission denied or no env: treat as unset
    }
    // Real Deno: process.env is this same environment, and touching `process` first blocks the loop
    // ~28 ms (its Node compatibility layer is set up then).
    if (g.Deno.version?.deno) return undefined;
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
