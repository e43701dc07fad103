import type { TenantIndexDO } from "./inspect/tenant-index-do.ts";
import type { SessionDO } from "./session/session-do.ts";
import type { TraceLinkDO } from "./session/trace-link-do.ts";

/** Bindings and variables of the ingestion Worker (wrangler.toml). All variables are strings. */
export interface Env {
  SESSIONS: DurableObjectNamespace<SessionDO>;
  /** One TenantIndexDO per tenant (the inspector's session list); optional so a Worker without it still runs. */
  TENANT_INDEX?: DurableObjectNamespace<TenantIndexDO>;
  /** One TraceLinkDO per tenant + trace: the trace's session, and spans parked until it is named. */
  TRACE_LINKS: DurableObjectNamespace<TraceLinkDO>;
  RECORDINGS: R2Bucket;
  /** Comma-separated SHA-256 hex hashes of accepted API keys; empty accepts any key. */
  API_KEY_HASHES?: string;
  SESSION_IDLE_TIMEOUT_SECONDS?: string;
  CLOSE_GRACE_SECONDS?: string;
  /** Durable Object jurisdiction for new sessions, e.g. "eu" or "fedramp"; empty for none. */
  DO_JURISDICTION?: string;
  /** Durable Object location hint, e.g. "weur", "enam"; empty for none. */
  DO_LOCATION_HINT?: string;
  CEKURA_HOST?: string;
  CEKURA_SIMULATION_PATH?: string;
  CEKURA_OTEL_ENDPOINT?: string;
  /** The OpenAI Realtime endpoint the relay connects to (default wss://api.openai.com/v1/realtime). */
  RELAY_OPENAI_URL?: string;
  /** Seconds the relay waits for the upstream's handshake answer (default 10), then answers 504. */
  RELAY_CONNECT_TIMEOUT_SECONDS?: string;
  /** Secret: one Cekura API key for every forward; unset = each tenant's own key (kept by its session DO). */
  CEKURA_FORWARD_API_KEY?: string;
  /** Deprecated name of CEKURA_FORWARD_API_KEY, accepted for one release with a warning. */
  CEKURA_API_KEY?: string;
  FORWARD_BACKOFF_BASE_SECONDS?: string;
  FORWARD_BACKOFF_MAX_SECONDS?: string;
  FORWARD_MAX_ATTEMPTS?: string;
  FORWARD_TIMEOUT_SECONDS?: string;
  FORWARD_TRACK_WINDOW_SECONDS?: string;
  /** "multipart" (default): the WAV goes as the `voice_recording` file part; "url": a signed S3 URL (S3 storage only). */
  FORWARD_AUDIO_AS?: string;
  FORWARD_AUDIO_URL_TTL_SECONDS?: string;
  /** Audio multipart part size in bytes (default and minimum 5 MiB). */
  AUDIO_PART_BYTES?: string;
  /** Audio goes to this S3-compatible bucket instead of RECORDINGS when all five are set. */
  S3_ENDPOINT?: string;
  S3_REGION?: string;
  S3_BUCKET?: string;
  S3_ACCESS_KEY_ID?: string;
  S3_SECRET_ACCESS_KEY?: string;
  // Privacy controls (worker/privacy/; docs/privacy.md, docs/deploy.md).
  /** JSON redaction rules applied to every session before storage: {fields?, detectors?, patterns?}. */
  REDACTION?: string;
  /** Days after which finalized records, audio and tombstones are erased; unset = forever. */
  RETENTION_DAYS?: string;
  /** "true" lets a Worker with an empty API_KEY_HASHES accept any key; otherwise it refuses data (503). */
  ALLOW_ANY_KEY?: string;
  /** Cap on a tenant's open sessions (429 + Retry-After past it); unset or 0 = none. */
  MAX_OPEN_SESSIONS_PER_TENANT?: string;
  /** Cloudflare Rate Limiting binding, keyed by tenant (429 + Retry-After past its limit). */
  TENANT_RATE_LIMITER?: RateLimit;
  /** Period of TENANT_RATE_LIMITER in seconds (10 or 60), for Retry-After; default 10. */
  TENANT_RATE_LIMIT_PERIOD_SECONDS?: string;
  /** Cloudflare Rate Limiting binding for inspector pages, keyed by client IP (period 60 s; 429 past it). */
  INSPECT_RATE_LIMITER?: RateLimit;
  /** Secret (>= 32 characters) signing the inspector's read-only session cookie. */
  INSPECTOR_SECRET?: string;
  /** Lifetime of an inspector login; default 43200 (12 h). */
  INSPECTOR_SESSION_SECONDS?: string;
}
