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

/** Parses the Worker's variables once per isolate; a bad value fails loudly, not silently. */
export function readConfig(env: Env): WorkerConfig {
  return {
    apiKeyHashes: new Set(
      (env.API_KEY_HASHES ?? "")
        .split(",")
        .map((h) => h.trim().toLowerCase())
        .filter(Boolean),
    ),
    idleTimeoutMs: seconds(env.SESSION_IDLE_TIMEOUT_SECONDS, DEFAULTS.idleTimeoutSeconds, "SESSION_IDLE_TIMEOUT_SECONDS"),
    closeGraceMs: seconds(env.CLOSE_GRACE_SECONDS, DEFAULTS.closeGraceSeconds, "CLOSE_GRACE_SECONDS"),
    jurisdiction: blank(env.DO_JURISDICTION) as DurableObjectJurisdiction | undefined,
    locationHint: blank(env.DO_LOCATION_HINT) as DurableObjectLocationHint | undefined,
    cekuraHost: blank(env.CEKURA_HOST)?.replace(/\/+$/, ""),
    simulationPath: blank(env.CEKURA_SIMULATION_PATH) ?? DEFAULTS.simulationPath,
    otelEndpoint: blank(env.CEKURA_OTEL_ENDPOINT),
  };
}
