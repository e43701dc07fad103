import type { WorkerConfig } from "../config.ts";
import type { Env } from "../env.ts";
import { fail, ok, type Outcome } from "../errors.ts";
import { audioSource, type AudioSource } from "../forward/audio-source.ts";
import { readForwardConfig, type ForwardConfig } from "../forward/forward-config.ts";
import { decide, type AttemptResult, type Decision } from "../forward/policy.ts";
import { sendRecord } from "../forward/sender.ts";
import { mayForward } from "./consent.ts";
import type { SessionMeta } from "./meta.ts";
import type { SessionRecord } from "./record.ts";
import { LazyTables } from "./tables.ts";

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

/** A session's forward state, as status shows it. */
export type ForwardState = SessionMeta["forward"];

/** An attempt ready to leave: its in-flight state is saved (and the alarm armed) before `send` runs. */
export interface PreparedAttempt {
  readonly inFlight: ForwardState;
  readonly record: SessionRecord;
  readonly host: string;
  readonly apiKey: string;
  readonly sentBefore: boolean;
  readonly deadline: number | undefined;
  readonly deadlineReason: string;
}

/** What `begin` decided: settled without sending, or an attempt to save as in flight and then send. */
export type Begun = { settled: ForwardState } | { attempt: PreparedAttempt };

/** When the next attempt is due, if one is. */
export function forwardDueAt(meta: SessionMeta): number | undefined {
  if (meta.forward.status !== "pending") return undefined;
  return meta.forward.nextAttemptAt ?? meta.finalizedAt ?? 0;
}

/**
 * The session's durable outbox to Cekura. State lives in `meta.forward` (what status shows, saved by the
 * Durable Object) and one SQLite row here (key, attempts that went out, in-flight mark). The DO saves each
 * attempt as counted, with its retry time, before the request leaves, so an eviction mid-request only ever
 * leads to a retry, and a retry answered "duplicate" counts as delivered: Cekura gets the call once.
 * Methods return the new forward state; they never save the meta or arm the alarm themselves.
 */
export class Outbox {
  readonly #env: Env;
  readonly #config: WorkerConfig;
  readonly #forward: ForwardConfig;
  readonly #audio: AudioSource;
  #row: OutboxRow;
  /** Created with the first write (most sessions write it only when finalized, if forwarding). */
  readonly #table: LazyTables;

  constructor(sql: SqlStorage, env: Env, config: WorkerConfig) {
    this.#env = env;
    this.#config = config;
    this.#forward = readForwardConfig(env);
    this.#audio = audioSource(env);
    this.#table = new LazyTables(sql, "forward_outbox", [OUTBOX_SQL]);
    this.#row = this.#table.rows<OutboxRow>(
      "SELECT api_key, sent_attempts, in_flight_at FROM forward_outbox WHERE id = 1",
    )[0] ?? {
      api_key: null,
      sent_attempts: 0,
      in_flight_at: null,
    };
  }

  /** Keeps the caller's key for forwarding (only when forwarding is configured and CEKURA_FORWARD_API_KEY is not). */
  rememberKey(apiKey: string | undefined): void {
    if (!apiKey || !this.#config.cekuraHost || this.#forward.apiKeyOverride || apiKey === this.#row.api_key) return;
    this.#write({ ...this.#row, api_key: apiKey });
  }

  /** Operator re-queue of a dead-lettered session: the forward state that starts attempts again now. */
  requeue(meta: SessionMeta, now: number, apiKey: string | undefined): Outcome<ForwardState> {
    if (meta.forward.status !== "dead_letter") {
      return fail(
        409,
        "not_dead_lettered",
        `session "${meta.sessionId}" forward status is ${meta.forward.status}; only a dead-lettered session can be re-queued`,
      );
    }
    this.rememberKey(apiKey);
    return ok({
      status: "pending",
      attempts: 0,
      nextAttemptAt: now,
      lastError: `re-queued at ${new Date(now).toISOString()}; before: ${meta.forward.lastError ?? "none"}`,
    });
  }

  /**
   * The first half of an attempt that is due: settles at once when nothing may or can be sent, otherwise
   * reads the record and counts the attempt as gone out (this row) before anything is sent.
   */
  async begin(meta: SessionMeta, now: number): Promise<Begun> {
    // deferUpload "audio" holds only the audio: without consent the audio was dropped and the rest is sent.
    if (!mayForward(meta))
      return this.#settle(meta.forward, {
        status: "skipped",
        lastError: `consent is ${meta.consent}; nothing is forwarded`,
      });
    const host = this.#config.cekuraHost;
    if (!host) return this.#settle(meta.forward, { status: "skipped", lastError: "CEKURA_HOST is not configured" });
    const apiKey = this.#forward.apiKeyOverride ?? this.#row.api_key;
    if (!apiKey)
      return this.#settle(meta.forward, {
        status: "dead_letter",
        lastError: "no Cekura API key: neither CEKURA_FORWARD_API_KEY nor the caller's key is known",
      });

    const record = await this.#readRecord(meta);
    if (typeof record === "string") return this.#settle(meta.forward, { status: "dead_letter", lastError: record });

    const deadline = record.mode === "track" ? Date.parse(record.endedAt) + this.#forward.trackWindowMs : undefined;
    const deadlineReason = `Cekura listens for a track call only ${this.#forward.trackWindowMs / 1000} s after it ends (${record.endedAt})`;
    if (deadline !== undefined && now > deadline) {
      return this.#settle(meta.forward, {
        status: "dead_letter",
        lastError: `${deadlineReason}; it is now ${new Date(now).toISOString()}`,
        nextAttemptAt: undefined,
      });
    }

    // Counted before the request leaves, with a retry armed in case we are evicted.
    const attempts = meta.forward.attempts + 1;
    const sentBefore = this.#row.sent_attempts > 0;
    const ceiling = Math.min(this.#forward.maxMs, this.#forward.baseMs * 2 ** (attempts - 1));
    this.#write({ ...this.#row, sent_attempts: this.#row.sent_attempts + 1, in_flight_at: now });
    const inFlight = { ...meta.forward, attempts, nextAttemptAt: now + this.#forward.timeoutMs + ceiling };
    return { attempt: { inFlight, record, host, apiKey, sentBefore, deadline, deadlineReason } };
  }

  /** The second half: sends the prepared attempt; `settle` then records its answer. */
  send(prepared: PreparedAttempt): Promise<AttemptResult> {
    return sendRecord({
      record: prepared.record,
      host: prepared.host,
      simulationPath: this.#config.simulationPath,
      apiKey: prepared.apiKey,
      audio: this.#audio,
      audioAs: this.#forward.audioAs,
      audioUrlTtlSeconds: this.#forward.audioUrlTtlSeconds,
      timeoutMs: this.#forward.timeoutMs,
      spansForwarded: this.#config.otelEndpoint !== undefined,
    });
  }

  /** The forward state an attempt's answer leads to (delivered, a next attempt, or dead letter). */
  settle(prepared: PreparedAttempt, result: AttemptResult): ForwardState {
    const { inFlight, deadline, deadlineReason } = prepared;
    const decision: Decision = decide(result, {
      attempt: inFlight.attempts,
      maxAttempts: this.#forward.maxAttempts,
      sentBefore: prepared.sentBefore,
      now: Date.now(),
      baseMs: this.#forward.baseMs,
      maxMs: this.#forward.maxMs,
      deadline,
      deadlineReason,
    });
    if (result.kind === "unsendable") this.#write({ ...this.#row, sent_attempts: this.#row.sent_attempts - 1 });
    this.#write({
      ...this.#row,
      in_flight_at: null,
      api_key: decision.status === "delivered" ? null : this.#row.api_key,
    });
    const lastError = inFlight.lastError;
    if (decision.status === "delivered")
      return this.#settled(inFlight, {
        status: "delivered",
        deliveredAt: Date.now(),
        ...(lastError ? { lastError } : {}),
      });
    if (decision.status === "dead_letter")
      return this.#settled(inFlight, { status: "dead_letter", lastError: decision.lastError });
    return this.#settled(inFlight, {
      status: "pending",
      nextAttemptAt: decision.nextAttemptAt,
      lastError: decision.lastError,
    });
  }

  /** Drops the row, key included: the session was erased while an attempt was out. */
  forget(): void {
    this.#table.existing()?.exec("DELETE FROM forward_outbox");
    this.#row = { api_key: null, sent_attempts: 0, in_flight_at: null };
  }

  /** After an unexpected error (storage): try again after the backoff ceiling rather than at once, and say why. */
  failed(forward: ForwardState, error: unknown, now: number): ForwardState {
    const message = error instanceof Error ? error.message : String(error);
    const ceiling = Math.min(this.#forward.maxMs, this.#forward.baseMs * 2 ** Math.max(0, forward.attempts - 1));
    return { ...forward, nextAttemptAt: now + ceiling, lastError: `internal error before sending: ${message}` };
  }

  #settle(forward: ForwardState, next: Partial<ForwardState> & Pick<ForwardState, "status">): Begun {
    return { settled: this.#settled(forward, next) };
  }

  #settled(forward: ForwardState, next: Partial<ForwardState> & Pick<ForwardState, "status">): ForwardState {
    // The key is kept only while a forward may still use it (a dead letter can be re-queued).
    if ((next.status === "skipped" || next.status === "delivered") && this.#row.api_key !== null)
      this.#write({ ...this.#row, api_key: null });
    return { attempts: forward.attempts, ...next };
  }

  async #readRecord(meta: SessionMeta): Promise<SessionRecord | string> {
    if (!meta.recordKey) return `session "${meta.sessionId}" has no record key`;
    const object = await this.#env.RECORDINGS.get(meta.recordKey);
    if (!object) return `the record ${meta.recordKey} is not in storage`;
    return (await object.json()) as SessionRecord;
  }

  #write(row: OutboxRow): void {
    this.#row = row;
    this.#table.ensure().exec(
      `INSERT INTO forward_outbox (id, api_key, sent_attempts, in_flight_at) VALUES (1, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET api_key = excluded.api_key, sent_attempts = excluded.sent_attempts, in_flight_at = excluded.in_flight_at`,
      row.api_key,
      row.sent_attempts,
      row.in_flight_at,
    );
  }
}
