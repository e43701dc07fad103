import type { WorkerConfig } from "../config.ts";
import type { Env } from "../env.ts";
import { fail, type Outcome } from "../errors.ts";
import { audioSource, type AudioSource } from "../forward/audio-source.ts";
import { readForwardConfig, type ForwardConfig } from "../forward/forward-config.ts";
import { decide, type AttemptResult, type Decision } from "../forward/policy.ts";
import { sendRecord } from "../forward/sender.ts";
import { mayForward } from "./consent.ts";
import type { SessionMeta } from "./meta.ts";
import type { SessionRecord } from "./record.ts";

const OUTBOX_SQL = `CREATE TABLE IF NOT EXISTS forward_outbox (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  api_key TEXT,
  sent_attempts INTEGER NOT NULL DEFAULT 0,
  in_flight_at INTEGER
)`;

type OutboxRow = {
  /** The tenant's own Cekura key, kept only until the record is delivered (never in status, logs or URLs). */
  api_key: string | null;
  /** Attempts that may have reached Cekura, over the session's whole life (a requeue does not reset it). */
  sent_attempts: number;
  /** Set durably before a request goes out, cleared when its answer is recorded. */
  in_flight_at: number | null;
};

export interface OutboxHooks {
  save(meta: SessionMeta): void;
  /** Re-arms the DO's one alarm from the saved state (min of deadlines and the outbox's next attempt). */
  schedule(): Promise<void>;
}

/**
 * The session's durable outbox to Cekura. State lives in `meta.forward` (what status shows) and one
 * SQLite row (key, attempts that went out, in-flight mark). Every attempt is counted and its retry time
 * saved before the request leaves, so an eviction mid-request only ever leads to a retry, and a retry
 * answered "duplicate" counts as delivered: Cekura gets the call once.
 */
export class Outbox {
  readonly #sql: SqlStorage;
  readonly #storage: DurableObjectStorage;
  readonly #env: Env;
  readonly #config: WorkerConfig;
  readonly #forward: ForwardConfig;
  readonly #audio: AudioSource;
  #row: OutboxRow;
  #running = false;

  constructor(storage: DurableObjectStorage, env: Env, config: WorkerConfig) {
    this.#storage = storage;
    this.#sql = storage.sql;
    this.#env = env;
    this.#config = config;
    this.#forward = readForwardConfig(env);
    this.#audio = audioSource(env);
    this.#sql.exec(OUTBOX_SQL);
    this.#row = this.#sql.exec<OutboxRow>("SELECT api_key, sent_attempts, in_flight_at FROM forward_outbox WHERE id = 1").toArray()[0] ?? {
      api_key: null,
      sent_attempts: 0,
      in_flight_at: null,
    };
  }

  /** Keeps the caller's key for forwarding (only when forwarding is configured and CEKURA_API_KEY is not). */
  rememberKey(apiKey: string | undefined): void {
    if (!apiKey || !this.#config.cekuraHost || this.#forward.apiKeyOverride || apiKey === this.#row.api_key) return;
    this.#write({ ...this.#row, api_key: apiKey });
  }

  /** When the next attempt is due, if one is. */
  dueAt(meta: SessionMeta): number | undefined {
    if (meta.forward.status !== "pending") return undefined;
    return meta.forward.nextAttemptAt ?? meta.finalizedAt ?? 0;
  }

  /** Runs one attempt when it is due; called from the DO's alarm. Never throws. */
  async step(meta: SessionMeta, now: number, hooks: OutboxHooks): Promise<void> {
    const due = this.dueAt(meta);
    if (due === undefined || due > now || this.#running) return;
    this.#running = true;
    try {
      await this.#attempt(meta, now, hooks);
    } catch (error) {
      // Unexpected (storage): try again after the backoff ceiling rather than at once, and say why.
      const message = error instanceof Error ? error.message : String(error);
      console.error("forward attempt failed unexpectedly", meta.sessionId, message);
      const ceiling = Math.min(this.#forward.maxMs, this.#forward.baseMs * 2 ** Math.max(0, meta.forward.attempts - 1));
      meta.forward = { ...meta.forward, nextAttemptAt: Date.now() + ceiling, lastError: `internal error before sending: ${message}` };
      hooks.save(meta);
    } finally {
      this.#running = false;
    }
  }

  /** Operator re-queue of a dead-lettered session: attempts start again now. */
  requeue(meta: SessionMeta, now: number, apiKey: string | undefined): Outcome<never> | undefined {
    if (meta.forward.status !== "dead_letter") {
      return fail(409, "not_dead_lettered", `session "${meta.sessionId}" forward status is ${meta.forward.status}; only a dead-lettered session can be re-queued`);
    }
    this.rememberKey(apiKey);
    meta.forward = { status: "pending", attempts: 0, nextAttemptAt: now, lastError: `re-queued at ${new Date(now).toISOString()}; before: ${meta.forward.lastError ?? "none"}` };
    return undefined;
  }

  async #attempt(meta: SessionMeta, now: number, hooks: OutboxHooks): Promise<void> {
    const finish = (forward: Partial<SessionMeta["forward"]> & { status: SessionMeta["forward"]["status"] }) => {
      meta.forward = { attempts: meta.forward.attempts, ...forward };
      // The key is kept only while a forward may still use it (a dead letter can be re-queued).
      if ((forward.status === "skipped" || forward.status === "delivered") && this.#row.api_key !== null) this.#write({ ...this.#row, api_key: null });
      hooks.save(meta);
    };
    // deferUpload "audio" holds only the audio: without consent the audio was dropped and the rest is sent.
    if (!mayForward(meta)) return finish({ status: "skipped", lastError: `consent is ${meta.consent}; nothing is forwarded` });
    const host = this.#config.cekuraHost;
    if (!host) return finish({ status: "skipped", lastError: "CEKURA_HOST is not configured" });
    const apiKey = this.#forward.apiKeyOverride ?? this.#row.api_key;
    if (!apiKey) return finish({ status: "dead_letter", lastError: "no Cekura API key: neither CEKURA_API_KEY nor the caller's key is known" });

    const record = await this.#readRecord(meta);
    if (typeof record === "string") return finish({ status: "dead_letter", lastError: record });

    const deadline = record.mode === "track" ? Date.parse(record.endedAt) + this.#forward.trackWindowMs : undefined;
    const deadlineReason = `Cekura listens for a track call only ${this.#forward.trackWindowMs / 1000} s after it ends (${record.endedAt})`;
    if (deadline !== undefined && now > deadline) {
      return finish({ status: "dead_letter", lastError: `${deadlineReason}; it is now ${new Date(now).toISOString()}`, nextAttemptAt: undefined });
    }

    // Durably in flight before the request leaves: counted, and a retry armed in case we are evicted.
    const attempt = meta.forward.attempts + 1;
    const sentBefore = this.#row.sent_attempts > 0;
    const ceiling = Math.min(this.#forward.maxMs, this.#forward.baseMs * 2 ** (attempt - 1));
    meta.forward = { ...meta.forward, attempts: attempt, nextAttemptAt: now + this.#forward.timeoutMs + ceiling };
    this.#write({ ...this.#row, sent_attempts: this.#row.sent_attempts + 1, in_flight_at: now });
    hooks.save(meta);
    await hooks.schedule();
    await this.#storage.sync?.();

    const result: AttemptResult = await sendRecord({
      record,
      host,
      simulationPath: this.#config.simulationPath,
      apiKey,
      audio: this.#audio,
      audioAs: this.#forward.audioAs,
      audioUrlTtlSeconds: this.#forward.audioUrlTtlSeconds,
      timeoutMs: this.#forward.timeoutMs,
      spansForwarded: this.#config.otelEndpoint !== undefined,
    });
    const decision: Decision = decide(result, {
      attempt,
      maxAttempts: this.#forward.maxAttempts,
      sentBefore,
      now: Date.now(),
      baseMs: this.#forward.baseMs,
      maxMs: this.#forward.maxMs,
      deadline,
      deadlineReason,
    });
    if (result.kind === "unsendable") this.#write({ ...this.#row, sent_attempts: this.#row.sent_attempts - 1 });
    this.#write({ ...this.#row, in_flight_at: null, api_key: decision.status === "delivered" ? null : this.#row.api_key });
    const lastError = meta.forward.lastError;
    if (decision.status === "delivered") return finish({ status: "delivered", deliveredAt: Date.now(), ...(lastError ? { lastError } : {}) });
    if (decision.status === "dead_letter") return finish({ status: "dead_letter", lastError: decision.lastError });
    return finish({ status: "pending", nextAttemptAt: decision.nextAttemptAt, lastError: decision.lastError });
  }

  async #readRecord(meta: SessionMeta): Promise<SessionRecord | string> {
    if (!meta.recordKey) return `session "${meta.sessionId}" has no record key`;
    const object = await this.#env.RECORDINGS.get(meta.recordKey);
    if (!object) return `the record ${meta.recordKey} is not in storage`;
    return (await object.json()) as SessionRecord;
  }

  #write(row: OutboxRow): void {
    this.#row = row;
    this.#sql.exec(
      `INSERT INTO forward_outbox (id, api_key, sent_attempts, in_flight_at) VALUES (1, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET api_key = excluded.api_key, sent_attempts = excluded.sent_attempts, in_flight_at = excluded.in_flight_at`,
      row.api_key,
      row.sent_attempts,
      row.in_flight_at,
    );
  }
}
