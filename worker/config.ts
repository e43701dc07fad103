import type { Env } from "./env.ts";

export interface WorkerConfig {
  apiKeyHashes: ReadonlySet<string>;
  idleTimeoutMs: number;
  closeGraceMs: number;
  jurisdiction: DurableObjectJurisdiction | undefined;
  locationHint: DurableObjectLocationHint | undefined;
  cekuraHost: string | undefined;
  simulationPath: string;
  otelEndpoint: string | undefined;
}

export const DEFAULTS = {
  idleTimeoutSeconds: 600,
  closeGraceSeconds: 30,
  simulationPath: "/test_framework/custom-provider-transcript-webhook/",
} as const;

function seconds(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value.trim() === "") return fallback * 1000;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number of seconds, got "${value}"`);
  return Math.round(n * 1000);
}

const blank = (v: string | undefined): string | undefined => (v && v.trim() !== "" ? v.trim() : undefined);

const JURISDICTIONS = ["eu", "fedramp", "fedramp-high"] as const;
const LOCATION_HINTS = ["wnam", "enam", "sam", "weur", "eeur", "apac", "oc", "afr", "me"] as const;

function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], name: string): T | undefined {
  const v = blank(value);
  if (v === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(v))
    throw new Error(`${name} must be one of ${allowed.join(", ")} (or empty), got "${v}"`);
  return v as T;
}

const parsed = new WeakMap<Env, WorkerConfig>();

/**
 * The Worker's configuration, parsed once per `env` object (the platform hands the same one to every
 * request of an isolate). A bad value throws on every use, so each request fails with a 500 naming it.
 */
export function configOf(env: Env): WorkerConfig {
  let config = parsed.get(env);
  if (!config) parsed.set(env, (config = readConfig(env)));
  return config;
}

/** Parses the Worker's variables; a bad value fails loudly, not silently. */
export function readConfig(env: Env): WorkerConfig {
  return {
    apiKeyHashes: new Set(
      (env.API_KEY_HASHES ?? "")
        .split(",")
        .map((h) => h.trim().toLowerCase())
        .filter(Boolean),
    ),
    idleTimeoutMs: seconds(
      env.SESSION_IDLE_TIMEOUT_SECONDS,
      DEFAULTS.idleTimeoutSeconds,
      "SESSION_IDLE_TIMEOUT_SECONDS",
    ),
    closeGraceMs: seconds(env.CLOSE_GRACE_SECONDS, DEFAULTS.closeGraceSeconds, "CLOSE_GRACE_SECONDS"),
    jurisdiction: oneOf(env.DO_JURISDICTION, JURISDICTIONS, "DO_JURISDICTION"),
    locationHint: oneOf(env.DO_LOCATION_HINT, LOCATION_HINTS, "DO_LOCATION_HINT"),
    cekuraHost: blank(env.CEKURA_HOST)?.replace(/\/+$/, ""),
    simulationPath: blank(env.CEKURA_SIMULATION_PATH) ?? DEFAULTS.simulationPath,
    otelEndpoint: blank(env.CEKURA_OTEL_ENDPOINT),
  };
}
