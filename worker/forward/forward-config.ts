import type { Env } from "../env.ts";
import { readS3Settings } from "../storage/object-store.ts";

/** How the outbox forwards finalized records to Cekura. Parsed from the Worker's variables. */
export interface ForwardConfig {
  /** Backoff before attempt n+1 is a random delay in [0, min(maxMs, baseMs * 2^(n-1))] (full jitter). */
  baseMs: number;
  maxMs: number;
  /** After this many attempts without a delivery the session is dead-lettered. */
  maxAttempts: number;
  /** One attempt's time limit (request + answer). */
  timeoutMs: number;
  /** Cekura listens for a track call only this long after the call ends (5 minutes). */
  trackWindowMs: number;
  /** A configured key for every forward; otherwise the tenant's own key (kept by the session's DO). */
  apiKeyOverride: string | undefined;
  /** How the recording reaches Cekura: a multipart `voice_recording` file part (default), or a signed URL (S3 only). */
  audioAs: "multipart" | "url";
  /** Lifetime of a signed `voice_recording_url`. */
  audioUrlTtlSeconds: number;
}

export const FORWARD_DEFAULTS = {
  backoffBaseSeconds: 2,
  backoffMaxSeconds: 300,
  maxAttempts: 12,
  timeoutSeconds: 30,
  trackWindowSeconds: 300,
  audioUrlTtlSeconds: 86_400,
} as const;

function positive(value: string | undefined, fallback: number, name: string, scale: number): number {
  if (value === undefined || value.trim() === "") return fallback * scale;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got "${value}"`);
  return Math.round(n * scale);
}

/**
 * The secret that replaces each tenant's key towards Cekura: CEKURA_FORWARD_API_KEY. Its old name
 * CEKURA_API_KEY (which also names the SDK's key and the demo's key) is accepted for one release, with a
 * warning; the new name wins when both are set.
 */
let warnedLegacyKey = false;
function forwardKeyOverride(env: Env): string | undefined {
  const key = env.CEKURA_FORWARD_API_KEY?.trim();
  if (key) return key;
  const legacy = env.CEKURA_API_KEY?.trim();
  if (!legacy) return undefined;
  if (!warnedLegacyKey) warnedLegacyKey = true;
  else return legacy;
  console.warn(
    "[cekura] the Worker's CEKURA_API_KEY secret is deprecated and will be ignored in the next release: set it as CEKURA_FORWARD_API_KEY (`wrangler secret put CEKURA_FORWARD_API_KEY`)",
  );
  return legacy;
}

/** Reads FORWARD_* and CEKURA_FORWARD_API_KEY; a bad value fails loudly rather than retrying forever. */
export function readForwardConfig(env: Env): ForwardConfig {
  const audioAs = (env.FORWARD_AUDIO_AS ?? "").trim() || "multipart";
  if (audioAs !== "multipart" && audioAs !== "url")
    throw new Error(`FORWARD_AUDIO_AS must be "multipart" or "url", got "${audioAs}"`);
  if (audioAs === "url" && !readS3Settings(env)) {
    throw new Error(
      "FORWARD_AUDIO_AS=url needs the recordings in S3 (S3_* variables): an R2 binding cannot sign a URL",
    );
  }
  const maxAttempts = positive(env.FORWARD_MAX_ATTEMPTS, FORWARD_DEFAULTS.maxAttempts, "FORWARD_MAX_ATTEMPTS", 1);
  return {
    baseMs: positive(
      env.FORWARD_BACKOFF_BASE_SECONDS,
      FORWARD_DEFAULTS.backoffBaseSeconds,
      "FORWARD_BACKOFF_BASE_SECONDS",
      1000,
    ),
    maxMs: positive(
      env.FORWARD_BACKOFF_MAX_SECONDS,
      FORWARD_DEFAULTS.backoffMaxSeconds,
      "FORWARD_BACKOFF_MAX_SECONDS",
      1000,
    ),
    maxAttempts: Math.max(1, Math.floor(maxAttempts)),
    timeoutMs: positive(env.FORWARD_TIMEOUT_SECONDS, FORWARD_DEFAULTS.timeoutSeconds, "FORWARD_TIMEOUT_SECONDS", 1000),
    trackWindowMs: positive(
      env.FORWARD_TRACK_WINDOW_SECONDS,
      FORWARD_DEFAULTS.trackWindowSeconds,
      "FORWARD_TRACK_WINDOW_SECONDS",
      1000,
    ),
    apiKeyOverride: forwardKeyOverride(env),
    audioAs,
    audioUrlTtlSeconds: positive(
      env.FORWARD_AUDIO_URL_TTL_SECONDS,
      FORWARD_DEFAULTS.audioUrlTtlSeconds,
      "FORWARD_AUDIO_URL_TTL_SECONDS",
      1,
    ),
  };
}
