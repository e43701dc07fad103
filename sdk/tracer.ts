/**
 * `new CekuraTracer({...})`: validated once at construction; `observe()` / `track()` start sessions.
 */
import type { CekuraSession } from "./cekura-session.ts";
import { DEFAULTS } from "./defaults.ts";
import { ConfigError, SdkError } from "./errors.ts";
import { DisabledSession } from "./internal/disabled-session.ts";
import { envFlag, readEnv, type EnvSource } from "./internal/env.ts";
import { LIMITS, sessionIdProblem } from "./wire/limits.ts";
import type { DeferUpload, Mode } from "./wire/types.ts";
import { DEFAULT_QUEUE, type QueueOptions } from "./queue.ts";
import { resolveRetryOptions, type RetryOptions } from "./retry.ts";
import { Session, type SessionConfig } from "./session.ts";
import type { AudioOptions } from "./audio/audio-addon.ts";
import { loadTraces } from "./otel/lazy.ts";
import { createTransport, normaliseIngestUrl, type FetchLike, type Transport } from "./transport.ts";
import { createRedactor, mergeRules, parseRedactionRules, type RedactionRules, type Redactor } from "./redact.ts";

export interface CekuraTracerOptions extends Partial<QueueOptions> {
  /** Cekura API key (or env CEKURA_API_KEY). Sent only as `Authorization: Bearer`. */
  apiKey?: string;
  /** Cekura agent id, a positive integer (or env CEKURA_AGENT_ID). */
  agentId?: number;
  /** The ingestion Worker's base URL (or env CEKURA_INGEST_URL). */
  ingestUrl?: string;
  /** false (or env CEKURA_TRACER_ENABLED=false): every call is a cheap no-op. Default true. */
  enabled?: boolean;
  /** Record INFO and above from `session.logger` (default true). */
  captureLogs?: boolean;
  /** Record console.* while exactly one session is active in the process (default false). */
  captureConsole?: boolean;
  /** Redaction rules for every session of this tracer (merged with each session's `redact`). */
  redact?: RedactionRules;
  /** Per-session OTel spans; default true. The SDK records and serializes them itself (no OTel packages). */
  enableOtelTraces?: boolean;
  /** The spans' resource `service.name` (Pipecat's setup_tracing service name); default "cekura-voice-agent". */
  serviceName?: string;
  /** Where CEKURA_* settings are read (a Worker's `env`); default Deno.env / process.env. */
  env?: EnvSource;
  fetch?: FetchLike;
  /** Background errors (delivery, overflow). Default: console.warn. Never throws into your code. */
  onError?: (error: SdkError) => void;
  retry?: Partial<RetryOptions>;
  /** Per-attempt request timeout, ms (default DEFAULTS.requestTimeoutMs, 15 000). */
  requestTimeoutMs?: number;
  /** flush() rejects after this long, ms (default DEFAULTS.flushTimeoutMs, 30 000); delivery continues. */
  flushTimeoutMs?: number;
  /**
   * close() resolves or rejects within this long whatever the network does (flush, audio tail,
   * close request, waiting for finalization), ms (default DEFAULTS.closeTimeoutMs, 20 000).
   */
  closeTimeoutMs?: number;
  /** Call audio: `sampleRate` of the stored stereo WAV (default 16 000), `chunkMs` (default 5000)... */
  audio?: AudioOptions;
}

export interface ObserveOptions {
  /** Explicit id (<= 100 chars of letters, digits, . _ : @ + = -). */
  sessionId?: string;
  /** Framework/runner arguments; `sessionId` or `session_id` in them is used when no explicit id. */
  runnerArgs?: Record<string, unknown>;
  customMetadata?: Record<string, unknown>;
  /** true: hold everything until startAudioUpload(); "audio": hold audio only. */
  deferUpload?: DeferUpload;
  /** Extra attributes on the session's `conversation` span (OTel; Pipecat's additionalSpanAttributes). */
  additionalSpanAttributes?: Record<string, string | number | boolean>;
  /**
   * Redaction of this session's data before it leaves the process (sdk/redact.ts): `fields` (paths in tool
   * arguments/results, custom metadata, log attributes), `detectors` (email, phone, card, us_ssn, uk_nino),
   * `patterns` ({name, pattern, flags?}). Sent to the Worker too, which applies it with its own rules.
   */
  redact?: RedactionRules;
}

export type TrackOptions = Omit<ObserveOptions, "deferUpload">;

export type { CekuraSession } from "./cekura-session.ts";

interface Resolved {
  apiKey: string;
  agentId: number;
  ingestUrl: string;
}

export class CekuraTracer {
  readonly enabled: boolean;
  readonly #options: CekuraTracerOptions;
  readonly #resolved: Resolved | undefined;
  readonly #transport: Transport | undefined;
  readonly #queue: QueueOptions;
  readonly #report: (error: SdkError) => void;

  constructor(options: CekuraTracerOptions) {
    if (typeof options !== "object" || options === null)
      throw new ConfigError("new CekuraTracer(options): options must be an object");
    this.#options = options;
    const env = options.env;
    if (env !== undefined && (typeof env !== "object" || env === null))
      throw new ConfigError("env must be an object (e.g. a Worker's env), when given");
    if (options.enabled !== undefined && typeof options.enabled !== "boolean")
      throw new ConfigError(`enabled must be a boolean, got ${String(options.enabled)}`);
    for (const flag of ["captureLogs", "captureConsole", "enableOtelTraces", "compression"] as const) {
      if (options[flag] !== undefined && typeof options[flag] !== "boolean")
        throw new ConfigError(`${flag} must be a boolean, got ${String(options[flag])}`);
    }
    if (options.onError !== undefined && typeof options.onError !== "function")
      throw new ConfigError("onError must be a function");
    if (options.serviceName !== undefined && (typeof options.serviceName !== "string" || options.serviceName === ""))
      throw new ConfigError(`serviceName must be a non-empty string, got ${String(options.serviceName)}`);
    if (options.fetch !== undefined && typeof options.fetch !== "function")
      throw new ConfigError("fetch must be a function (e.g. globalThis.fetch)");

    const envEnabled = envFlag(readEnv("CEKURA_TRACER_ENABLED", env));
    this.enabled = options.enabled !== false && envEnabled !== false;
    const onError = options.onError;
    this.#report = (error) => {
      try {
        if (onError) onError(error);
        else console.warn(`[cekura] ${error.message}`);
      } catch {
        // an onError that throws must not break delivery
      }
    };
    this.#queue = resolveQueueOptions(options);
    if (!this.enabled) return;

    this.#resolved = resolveIdentity(options, env);
    resolveRetryOptions(options.retry);
    positive(options.requestTimeoutMs, "requestTimeoutMs");
    positive(options.flushTimeoutMs, "flushTimeoutMs");
    positive(options.closeTimeoutMs, "closeTimeoutMs");
    this.#transport = createTransport({
      ingestUrl: this.#resolved.ingestUrl,
      apiKey: this.#resolved.apiKey,
      fetch: options.fetch,
      retry: options.retry,
      requestTimeoutMs: options.requestTimeoutMs,
    });
    // Load OTel now, while nothing waits for it; sessions started before it lands catch up.
    if (options.enableOtelTraces !== false) void loadTraces().catch(() => undefined);
    // The runtime loads its random source on first use (~1-2 ms on Node): pay that in a task of its own,
    // not inside the first observe(). Workers refuse timers and random values at global scope: skipped.
    try {
      setTimeout(warmRandom, 0);
    } catch {
      // no timers here
    }
  }

  /** Production calls (audio allowed, consent via deferUpload). */
  observe(options: ObserveOptions = {}): CekuraSession {
    if (!this.enabled) return disabledSession("observe", options);
    return this.#start("observe", options);
  }

  /** Test/simulation runs: no audio. */
  track(options: TrackOptions = {}): CekuraSession {
    if (!this.enabled) return disabledSession("track", options);
    if (options && "deferUpload" in options && (options as ObserveOptions).deferUpload !== undefined) {
      throw new ConfigError("track() takes no deferUpload: track sessions send no audio and need no consent");
    }
    return this.#start("track", options);
  }

  #start(mode: Mode, options: ObserveOptions): CekuraSession {
    if (typeof options !== "object" || options === null)
      throw new ConfigError(`${mode}(options): options must be an object`);
    const id = sessionIdFrom(options);
    if (!this.enabled || !this.#transport || !this.#resolved) return new DisabledSession(id, mode);
    let deferUpload: DeferUpload | undefined;
    if (options.deferUpload !== undefined) {
      const value: unknown = options.deferUpload;
      if (value !== true && value !== false && value !== "audio")
        throw new ConfigError(`deferUpload must be true, false or "audio", got ${String(value)}`);
      deferUpload = value;
    }
    const redactor = redactorFor(this.#options.redact, options.redact);
    if (
      options.customMetadata !== undefined &&
      (typeof options.customMetadata !== "object" ||
        options.customMetadata === null ||
        Array.isArray(options.customMetadata))
    ) {
      throw new ConfigError("customMetadata must be an object");
    }
    const o = this.#options;
    const config: SessionConfig = {
      queue: this.#queue,
      captureLogs: o.captureLogs ?? true,
      captureConsole: o.captureConsole ?? false,
      flushTimeoutMs: o.flushTimeoutMs ?? DEFAULTS.flushTimeoutMs,
      closeTimeoutMs: o.closeTimeoutMs ?? DEFAULTS.closeTimeoutMs,
      customMetadata: options.customMetadata,
      additionalSpanAttributes: options.additionalSpanAttributes,
      serviceName: o.serviceName,
      audio: o.audio,
    };
    return new Session(
      {
        id,
        mode,
        agentId: this.#resolved.agentId,
        deferUpload,
        callStartedAt: new Date().toISOString(),
        startedAtPerf: performance.now(),
        basePath: `/v1/sessions/${encodeURIComponent(id)}`,
        transport: this.#transport,
        env: o.env,
        enableOtelTraces: o.enableOtelTraces ?? true,
        report: this.#report,
        ...(redactor ? { redactor } : {}),
      },
      config,
    );
  }
}

/** The tracer's and the session's redaction rules, validated and merged; undefined when there are none. */
function redactorFor(tracerRules: unknown, sessionRules: unknown): Redactor | undefined {
  if (tracerRules === undefined && sessionRules === undefined) return undefined;
  const parse = (rules: unknown, where: string): RedactionRules => {
    if (rules === undefined) return {};
    const parsed = parseRedactionRules(rules, where);
    if (typeof parsed === "string") throw new ConfigError(parsed);
    return parsed;
  };
  const redactor = createRedactor(mergeRules(parse(tracerRules, "redact"), parse(sessionRules, "redact")));
  return redactor.active ? redactor : undefined;
}

function resolveIdentity(options: CekuraTracerOptions, env: EnvSource): Resolved {
  const apiKey = options.apiKey ?? readEnv("CEKURA_API_KEY", env);
  if (typeof apiKey !== "string" || apiKey.trim() === "") {
    throw new ConfigError("apiKey is required (or set CEKURA_API_KEY): a non-empty Cekura API key");
  }
  if (/\s/.test(apiKey.trim()) || apiKey.length > 4096)
    throw new ConfigError("apiKey must be a single token without whitespace");
  let agentId: unknown = options.agentId;
  if (agentId === undefined) {
    const fromEnv = readEnv("CEKURA_AGENT_ID", env);
    if (fromEnv !== undefined && /^\d+$/.test(fromEnv.trim())) agentId = Number(fromEnv.trim());
    else if (fromEnv !== undefined)
      throw new ConfigError(`CEKURA_AGENT_ID must be a positive integer, got "${fromEnv}"`);
  }
  if (typeof agentId !== "number" || !Number.isSafeInteger(agentId) || agentId <= 0) {
    throw new ConfigError(`agentId must be a positive integer (your Cekura agent's id), got ${String(agentId)}`);
  }
  const ingestUrl = normaliseIngestUrl(options.ingestUrl ?? readEnv("CEKURA_INGEST_URL", env));
  return { apiKey: apiKey.trim(), agentId, ingestUrl };
}

function resolveQueueOptions(options: CekuraTracerOptions): QueueOptions {
  const q = { ...DEFAULT_QUEUE };
  const int = (
    name: "maxBatchEvents" | "maxBatchBytes" | "maxQueueBytes" | "maxConcurrentRequests",
    min: number,
    max: number,
  ) => {
    const v = options[name];
    if (v === undefined) return;
    if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max)
      throw new ConfigError(`${name} must be an integer between ${min} and ${max}, got ${String(v)}`);
    q[name] = v;
  };
  int("maxBatchEvents", 1, LIMITS.eventsPerFragment);
  int("maxBatchBytes", 1024, LIMITS.fragmentBodyBytes / 2);
  int("maxQueueBytes", 1024, 1024 * 1024 * 1024);
  int("maxConcurrentRequests", 1, 16);
  for (const name of ["flushIntervalMs", "redeliveryPauseMs"] as const) {
    const v = options[name];
    if (v === undefined) continue;
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0)
      throw new ConfigError(`${name} must be a number of ms >= 0, got ${String(v)}`);
    q[name] = v;
  }
  if (options.compression !== undefined) q.compression = options.compression;
  return q;
}

function positive(value: unknown, name: string): void {
  if (value === undefined) return;
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0)
    throw new ConfigError(`${name} must be a positive number of ms, got ${String(value)}`);
}

/**
 * A disabled tracer's session: never throws, whatever the options (the id is used when it is a valid one,
 * else a random UUID stands in; nothing is sent either way).
 */
function disabledSession(mode: Mode, options: unknown): CekuraSession {
  let id: string;
  try {
    id = sessionIdFrom(options as ObserveOptions);
  } catch {
    id = crypto.randomUUID();
  }
  return new DisabledSession(id, mode);
}

/** explicit > runnerArgs.sessionId / session_id > crypto.randomUUID(). */
function sessionIdFrom(options: ObserveOptions): string {
  let candidate: unknown = options.sessionId;
  let source = "sessionId";
  if (candidate === undefined && options.runnerArgs !== undefined) {
    if (typeof options.runnerArgs !== "object" || options.runnerArgs === null)
      throw new ConfigError("runnerArgs must be an object");
    const args = options.runnerArgs;
    candidate = args.sessionId ?? args.session_id;
    source = args.sessionId !== undefined ? "runnerArgs.sessionId" : "runnerArgs.session_id";
  }
  if (candidate === undefined) return crypto.randomUUID();
  const problem = sessionIdProblem(candidate);
  if (problem !== undefined) throw new ConfigError(`${source}: ${problem}`);
  return candidate as string;
}

function warmRandom(): void {
  try {
    crypto.getRandomValues(new Uint8Array(8));
    crypto.randomUUID();
  } catch {
    // not allowed here (a Worker's global scope): the first session pays it
  }
}
