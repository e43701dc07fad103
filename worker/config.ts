import type { Env } from "./env.ts";
import { FORWARD_DEFAULTS } from "./forward/forward-config.ts";

export interface WorkerConfig {
  apiKeyHashes: ReadonlySet<string>;
  idleTimeoutMs: number;
  /**
   * Idle timeout of a track session: at most half of Cekura's track window (FORWARD_TRACK_WINDOW_SECONDS,
   * 300 s), so a track call nobody closed is finalized with the other half left to deliver it. Cekura
   * judges the window from the call's end (its last activity), not from when the Worker noticed it.
   */
  trackIdleTimeoutMs: number;
  closeGraceMs: number;
  jurisdiction: DurableObjectJurisdiction | undefined;
  locationHint: DurableObjectLocationHint | undefined;
  cekuraHost: string | undefined;
  simulationPath: string;
  otelEndpoint: string | undefined;
  /** Where the OpenAI Realtime relay connects (worker/relay/): fixed here, never taken from a client. */
  relayOpenAiUrl: string;
  /** How long the relay waits for the upstream's handshake answer before answering 504. */
  relayConnectTimeoutMs: number;
}

export const DEFAULTS = {
  idleTimeoutSeconds: 600,
  closeGraceSeconds: 30,
  simulationPath: "/test_framework/custom-provider-transcript-webhook/",
  relayOpenAiUrl: "wss://api.openai.com/v1/realtime",
  relayConnectTimeoutSeconds: 10,
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
  const idleTimeoutMs = seconds(
    env.SESSION_IDLE_TIMEOUT_SECONDS,
    DEFAULTS.idleTimeoutSeconds,
    "SESSION_IDLE_TIMEOUT_SECONDS",
  );
  const trackWindowMs = seconds(
    env.FORWARD_TRACK_WINDOW_SECONDS,
    FORWARD_DEFAULTS.trackWindowSeconds,
    "FORWARD_TRACK_WINDOW_SECONDS",
  );
  return {
    apiKeyHashes: new Set(
      (env.API_KEY_HASHES ?? "")
        .split(",")
        .map((h) => h.trim().toLowerCase())
        .filter(Boolean),
    ),
    idleTimeoutMs,
    trackIdleTimeoutMs: Math.min(idleTimeoutMs, Math.floor(trackWindowMs / 2)),
    closeGraceMs: seconds(env.CLOSE_GRACE_SECONDS, DEFAULTS.closeGraceSeconds, "CLOSE_GRACE_SECONDS"),
    jurisdiction: oneOf(env.DO_JURISDICTION, JURISDICTIONS, "DO_JURISDICTION"),
    locationHint: oneOf(env.DO_LOCATION_HINT, LOCATION_HINTS, "DO_LOCATION_HINT"),
    cekuraHost: blank(env.CEKURA_HOST)?.replace(/\/+$/, ""),
    simulationPath: blank(env.CEKURA_SIMULATION_PATH) ?? DEFAULTS.simulationPath,
    otelEndpoint: blank(env.CEKURA_OTEL_ENDPOINT),
    relayOpenAiUrl: relayUrl(env.RELAY_OPENAI_URL),
    relayConnectTimeoutMs: seconds(
      env.RELAY_CONNECT_TIMEOUT_SECONDS,
      DEFAULTS.relayConnectTimeoutSeconds,
      "RELAY_CONNECT_TIMEOUT_SECONDS",
    ),
  };
}

/** RELAY_OPENAI_URL: a ws(s):// or http(s):// URL without a query (the client's query is appended). */
function relayUrl(value: string | undefined): string {
  const v = blank(value) ?? DEFAULTS.relayOpenAiUrl;
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    throw new Error(`RELAY_OPENAI_URL must be a ws(s):// URL, got "${v}"`);
  }
  if (!["ws:", "wss:", "http:", "https:"].includes(url.protocol) || url.search !== "")
    throw new Error(`RELAY_OPENAI_URL must be a ws(s):// URL without a query, got "${v}"`);
  return url.toString();
}
