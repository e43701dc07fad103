import type { Env } from "../env.ts";
import { readForwardConfig, type ForwardConfig } from "../forward/forward-config.ts";
import { sendSpans } from "../forward/otel-forward.ts";
import { OTLP_LIMITS, type SpanItem } from "../forward/otel-wire.ts";
import { decide } from "../forward/policy.ts";
import { mayForward } from "./consent.ts";
import type { SessionMeta } from "./meta.ts";

const SPANS_SQL = `CREATE TABLE IF NOT EXISTS otel_spans (
  trace_id TEXT NOT NULL,
  span_id TEXT NOT NULL,
  parent_span_id TEXT,
  resource TEXT NOT NULL,
  scope TEXT NOT NULL,
  span TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  forwarded INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (trace_id, span_id)
)`;
const STATE_SQL = `CREATE TABLE IF NOT EXISTS otel_state (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  trace_id TEXT,
  api_key TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER,
  last_error TEXT,
  dropped INTEGER NOT NULL DEFAULT 0
)`;

/** Spans sent on per request to the collector. */
const FORWARD_BATCH = 500;

type StateRow = {
  trace_id: string | null;
  api_key: string | null;
  attempts: number;
  next_attempt_at: number | null;
  last_error: string | null;
  dropped: number;
};

export interface SpanReceipt {
  accepted: number;
  rejected: number;
  /** Why spans were rejected (OTLP partialSuccess.errorMessage). */
  reason?: string;
}

/** What the span forwarder reports (the status route may show it). */
export interface SpanForwardState {
  held: number;
  forwarded: number;
  attempts: number;
  lastError?: string;
}

/**
 * The session's OTel spans in its Durable Object: stored on receipt (idempotent by trace+span id),
 * held while consent is deferred, forwarded to CEKURA_OTEL_ENDPOINT once the session may be sent,
 * and deleted with everything else on abort or discard (the session's wipe of every table).
 * The conversation's trace id is kept for the record.
 */
export class SpanStore {
  readonly #sql: SqlStorage;
  readonly #endpoint: string | undefined;
  readonly #forward: ForwardConfig;
  #running = false;

  constructor(sql: SqlStorage, env: Env, endpoint: string | undefined) {
    this.#sql = sql;
    this.#endpoint = endpoint;
    this.#forward = readForwardConfig(env);
    sql.exec(SPANS_SQL);
    sql.exec(STATE_SQL);
  }

  #state(): StateRow {
    return (
      this.#sql.exec<StateRow>("SELECT trace_id, api_key, attempts, next_attempt_at, last_error, dropped FROM otel_state WHERE id = 1").toArray()[0] ?? {
        trace_id: null,
        api_key: null,
        attempts: 0,
        next_attempt_at: null,
        last_error: null,
        dropped: 0,
      }
    );
  }

  #writeState(row: StateRow): void {
    this.#sql.exec(
      `INSERT INTO otel_state (id, trace_id, api_key, attempts, next_attempt_at, last_error, dropped) VALUES (1, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET trace_id = excluded.trace_id, api_key = excluded.api_key, attempts = excluded.attempts,
       next_attempt_at = excluded.next_attempt_at, last_error = excluded.last_error, dropped = excluded.dropped`,
      row.trace_id,
      row.api_key,
      row.attempts,
      row.next_attempt_at,
      row.last_error,
      row.dropped,
    );
  }

  count(): number {
    return this.#sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM otel_spans").one().n;
  }

  /**
   * Stores spans of this session. Refused whole when the session was aborted or discarded (its spans
   * must never be kept); spans past the per-session cap are rejected. Repeats are accepted again.
   */
  receive(meta: SessionMeta | undefined, items: SpanItem[], conversationTraceId: string | undefined, apiKey: string | undefined, now: number): SpanReceipt {
    if (meta && (meta.state === "aborted" || meta.state === "discarded")) {
      return { accepted: 0, rejected: items.length, reason: `session "${meta.sessionId}" was ${meta.state}; its spans are not kept` };
    }
    const room = OTLP_LIMITS.spansPerSession - this.count();
    let accepted = 0;
    let rejected = 0;
    for (const item of items) {
      const exists = this.#sql.exec("SELECT 1 FROM otel_spans WHERE trace_id = ? AND span_id = ?", item.traceId, item.spanId).toArray().length > 0;
      if (exists) {
        accepted++;
        continue;
      }
      if (accepted >= room) {
        rejected++;
        continue;
      }
      this.#sql.exec(
        "INSERT INTO otel_spans (trace_id, span_id, parent_span_id, resource, scope, span, received_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        item.traceId,
        item.spanId,
        item.parentSpanId,
        item.resource,
        item.scope,
        item.span,
        now,
      );
      accepted++;
    }
    const state = this.#state();
    const next: StateRow = { ...state, trace_id: state.trace_id ?? conversationTraceId ?? null };
    // The tenant's key is kept only while spans may still be forwarded with it (see step()).
    if (apiKey && this.#endpoint && !this.#forward.apiKeyOverride) next.api_key = apiKey;
    if (state.next_attempt_at === null || state.attempts === 0) next.next_attempt_at = now;
    this.#writeState(next);
    return rejected > 0
      ? { accepted, rejected, reason: `session holds at most ${OTLP_LIMITS.spansPerSession} spans; ${rejected} were rejected` }
      : { accepted, rejected };
  }

  /** The conversation's 32-hex trace id (from the span carrying `conversation.id`), else the first span's. */
  traceId(): string | null {
    const known = this.#state().trace_id;
    if (known) return known;
    return this.#sql.exec<{ trace_id: string }>("SELECT trace_id FROM otel_spans ORDER BY received_at, rowid LIMIT 1").toArray()[0]?.trace_id ?? null;
  }

  /** Stored spans (forwarded or not) in arrival order. */
  all(): Pick<SpanItem, "resource" | "scope" | "span">[] {
    return this.#sql.exec<{ resource: string; scope: string; span: string }>("SELECT resource, scope, span FROM otel_spans ORDER BY received_at, rowid").toArray();
  }

  /** Whether held spans may leave the Worker now: consent given (or deferral is audio-only), not aborted. */
  #mayForward(meta: SessionMeta | undefined): meta is SessionMeta {
    return meta !== undefined && this.#endpoint !== undefined && mayForward(meta);
  }

  #pending(): number {
    return this.#sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM otel_spans WHERE forwarded = 0").one().n;
  }

  /** When the DO's alarm should next forward spans, if anything may and must be sent. */
  dueAt(meta: SessionMeta | undefined): number | undefined {
    if (!this.#mayForward(meta) || this.#pending() === 0) return undefined;
    const state = this.#state();
    // Without a key nothing can be sent: wait for a request that brings one (no alarm loop).
    if (!this.#forward.apiKeyOverride && !state.api_key) return undefined;
    return state.next_attempt_at ?? 0;
  }

  /** Forwards held spans when due (from the DO's alarm). Never throws; failures are retried with backoff. */
  async step(meta: SessionMeta | undefined, now: number): Promise<void> {
    const due = this.dueAt(meta);
    if (due === undefined || due > now || this.#running || !meta || !this.#endpoint) return;
    this.#running = true;
    try {
      for (;;) {
        const state = this.#state();
        const apiKey = this.#forward.apiKeyOverride ?? state.api_key;
        const rows = this.#sql
          .exec<{ trace_id: string; span_id: string; resource: string; scope: string; span: string }>(
            "SELECT trace_id, span_id, resource, scope, span FROM otel_spans WHERE forwarded = 0 ORDER BY received_at, rowid LIMIT ?",
            FORWARD_BATCH,
          )
          .toArray();
        if (rows.length === 0) {
          // Nothing left to send for a finalized session: forget the key (late spans bring it again).
          if (meta.state === "finalized" && state.api_key) this.#writeState({ ...state, api_key: null });
          return;
        }
        if (!apiKey) return this.#writeState({ ...state, last_error: "no Cekura API key: neither CEKURA_API_KEY nor the caller's key is known" });
        const attempt = state.attempts + 1;
        const result = await sendSpans({ endpoint: this.#endpoint, apiKey, agentId: meta.agentId, items: rows, timeoutMs: this.#forward.timeoutMs });
        // The session may have been aborted while the request was out: the rows are gone then.
        if (this.#sql.exec("SELECT 1 FROM otel_state").toArray().length === 0) return;
        const decision = decide(result.kind === "duplicate" ? { kind: "accepted", status: result.status } : result, {
          attempt,
          maxAttempts: this.#forward.maxAttempts,
          sentBefore: attempt > 1,
          now: Date.now(),
          baseMs: this.#forward.baseMs,
          maxMs: this.#forward.maxMs,
        });
        if (decision.status === "pending") {
          return this.#writeState({ ...state, attempts: attempt, next_attempt_at: decision.nextAttemptAt, last_error: decision.lastError });
        }
        for (const row of rows) this.#sql.exec("UPDATE otel_spans SET forwarded = 1 WHERE trace_id = ? AND span_id = ?", row.trace_id, row.span_id);
        if (decision.status === "dead_letter") {
          this.#writeState({ ...state, attempts: 0, next_attempt_at: now, last_error: decision.lastError, dropped: state.dropped + rows.length });
        } else {
          this.#writeState({ ...state, attempts: 0, next_attempt_at: now, last_error: null });
        }
      }
    } catch (error) {
      // Unexpected (storage): try again after a backoff, not at once (the alarm would fire in a loop).
      const state = this.#state();
      const backoff = Math.min(this.#forward.maxMs, this.#forward.baseMs * 2 ** state.attempts);
      this.#writeState({ ...state, next_attempt_at: Date.now() + backoff, last_error: error instanceof Error ? error.message : String(error) });
    } finally {
      this.#running = false;
    }
  }

  /** What the forwarder did, for status. */
  forwardState(): SpanForwardState {
    const state = this.#state();
    const held = this.#pending();
    return {
      held,
      forwarded: this.count() - held - state.dropped,
      attempts: state.attempts,
      ...(state.last_error ? { lastError: state.last_error } : {}),
    };
  }

}

const LINK_SQL = `CREATE TABLE IF NOT EXISTS otel_trace_link (id INTEGER PRIMARY KEY CHECK (id = 1), session_id TEXT NOT NULL)`;
const PARKED_SQL = `CREATE TABLE IF NOT EXISTS otel_parked (
  span_id TEXT PRIMARY KEY,
  item TEXT NOT NULL,
  parked_at INTEGER NOT NULL
)`;

/** Spans one trace may park while its session is unknown. */
export const PARKED_PER_TRACE = 2000;

/**
 * The Durable Object of one tenant's trace (named `#trace#<traceId>`, never a valid session id):
 * which session the trace belongs to, and spans that arrived before anything said so. An exporter
 * that sends children before their parents (span-at-a-time or batch processors) then still lands
 * every span in its session. Used only by the /v1/traces route.
 */
export class TraceLink {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(LINK_SQL);
    sql.exec(PARKED_SQL);
  }

  #session(): string | undefined {
    return this.sql.exec<{ session_id: string }>("SELECT session_id FROM otel_trace_link WHERE id = 1").toArray()[0]?.session_id;
  }

  /** Records the trace's session (first one wins) and hands back the spans parked until now. */
  link(sessionId: string): { sessionId: string; parked: SpanItem[] } {
    const known = this.#session();
    if (!known) this.sql.exec("INSERT INTO otel_trace_link (id, session_id) VALUES (1, ?)", sessionId);
    const parked = this.sql
      .exec<{ item: string }>("SELECT item FROM otel_parked ORDER BY parked_at, rowid")
      .toArray()
      .map((r) => JSON.parse(r.item) as SpanItem);
    this.sql.exec("DELETE FROM otel_parked");
    return { sessionId: known ?? sessionId, parked };
  }

  /** Spans with no session of their own: their session when the trace is linked, else parked (up to a cap). */
  orphans(items: SpanItem[], now: number): { sessionId: string } | { parked: number; rejected: number } {
    const known = this.#session();
    if (known) return { sessionId: known };
    const count = this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM otel_parked").one().n;
    let parked = 0;
    let rejected = 0;
    for (const item of items) {
      if (count + parked >= PARKED_PER_TRACE) {
        rejected++;
        continue;
      }
      this.sql.exec("INSERT OR IGNORE INTO otel_parked (span_id, item, parked_at) VALUES (?, ?, ?)", item.spanId, JSON.stringify(item), now);
      parked++;
    }
    return { parked, rejected };
  }
}
