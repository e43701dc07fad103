import type { Env } from "../env.ts";
import { readForwardConfig, type ForwardConfig } from "../forward/forward-config.ts";
import { sendSpans } from "../forward/otel-forward.ts";
import { OTLP_LIMITS, type SpanItem } from "../forward/otel-wire.ts";
import { decide } from "../forward/policy.ts";
import { mayForward } from "./consent.ts";
import type { SessionMeta } from "./meta.ts";
import { LazyTables } from "./tables.ts";

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

/**
 * What one session, and one trace waiting for its session, may hold. Every row also keeps its
 * resource and scope JSON, so those are capped too; bytes are span + resource + scope JSON.
 */
export const SPAN_LIMITS = {
  /** Resource JSON kept with each span of a resource. */
  resourceBytes: 32 * 1024,
  /** Instrumentation scope JSON kept with each span. */
  scopeBytes: 8 * 1024,
  /** Bytes of spans one session holds (also bounds GET /v1/traces/:id under the platform's RPC limit). */
  bytesPerSession: 24 * 1024 * 1024,
  /** Spans a trace parks while no span has named its session. */
  parkedPerTrace: 2000,
  /** Bytes a trace parks while no span has named its session. */
  parkedBytesPerTrace: 4 * 1024 * 1024,
  /** Parked spans whose session is never named are deleted after this long. */
  parkedTtlMs: 24 * 60 * 60 * 1000,
  /** Spans the inspector's waterfall shows. */
  waterfallSpans: 5000,
} as const;

/** Span times must be real dates in [2000-01-01, 2100-01-01), as event times are. */
export const SPAN_TIME_RANGE_NANOS = { from: 946_684_800_000_000_000n, to: 4_102_444_800_000_000_000n } as const;

const utf8Bytes = (text: string) => new TextEncoder().encode(text).byteLength;

/** Bytes a stored span row costs against the caps. */
export const itemBytes = (item: Pick<SpanItem, "span" | "resource" | "scope">) =>
  utf8Bytes(item.span) + utf8Bytes(item.resource) + utf8Bytes(item.scope);

function nanosOf(value: string | number): bigint | undefined {
  try {
    return typeof value === "number"
      ? Number.isSafeInteger(value)
        ? BigInt(value)
        : BigInt(Math.trunc(value))
      : BigInt(value);
  } catch {
    return undefined;
  }
}

/** Why a span's start/end times are refused, or undefined when both are real dates in range and end >= start. */
export function spanTimeProblem(start: string | number, end: string | number): string | undefined {
  const from = nanosOf(start);
  const to = nanosOf(end);
  const { from: min, to: max } = SPAN_TIME_RANGE_NANOS;
  const inRange = (n: bigint | undefined) => n !== undefined && n >= min && n < max;
  if (!inRange(from) || !inRange(to)) {
    return `span times must be Unix nanoseconds between 2000-01-01 and 2100-01-01 (${min} <= t < ${max}); got start ${String(start).slice(0, 24)}, end ${String(end).slice(0, 24)}`;
  }
  if (to! < from!) return `a span's endTimeUnixNano must not be before its startTimeUnixNano`;
  return undefined;
}

/** Why a resource or scope (kept with every span row) is refused, or undefined. */
export function spanContextProblem(resource: string, scope: string): string | undefined {
  if (utf8Bytes(resource) > SPAN_LIMITS.resourceBytes)
    return `a resource's JSON exceeds ${SPAN_LIMITS.resourceBytes} bytes (it is kept with each of its spans)`;
  if (utf8Bytes(scope) > SPAN_LIMITS.scopeBytes)
    return `an instrumentation scope's JSON exceeds ${SPAN_LIMITS.scopeBytes} bytes (it is kept with each of its spans)`;
  return undefined;
}

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
  /** Set when spans were refused because the session reached a cap (the route answers 413 naming it). */
  cap?: { name: "spansPerSession" | "bytesPerSession"; limit: number };
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
 * and deleted with everything else on abort or discard (the session wipes every table). Spans that
 * waited in a trace's own object (trace-link-do.ts) are cleared by the session at the same time.
 * The conversation's trace id is kept for the record.
 */
export class SpanStore {
  readonly #sql: SqlStorage;
  readonly #endpoint: string | undefined;
  readonly #forward: ForwardConfig;
  #running = false;
  /**
   * Spans held, spans not yet forwarded, and their bytes (span + resource + scope): counted once per instance
   * and kept up to date, because the alarm's schedule asks on every request (a COUNT reads every row).
   */
  #count: number | undefined;
  #pending: number | undefined;
  #bytes: number | undefined;
  /** otel_spans and otel_state are created with the first spans' rows (most sessions never get spans). */
  readonly #spanTable: LazyTables;
  readonly #stateTable: LazyTables;

  constructor(sql: SqlStorage, env: Env, endpoint: string | undefined) {
    this.#sql = sql;
    this.#endpoint = endpoint;
    this.#forward = readForwardConfig(env);
    this.#spanTable = new LazyTables(sql, "otel_spans", [SPANS_SQL]);
    this.#stateTable = new LazyTables(sql, "otel_state", [STATE_SQL]);
  }

  #state(): StateRow {
    const stored = this.#stateTable.rows<StateRow>(
      "SELECT trace_id, api_key, attempts, next_attempt_at, last_error, dropped FROM otel_state WHERE id = 1",
    )[0];
    return (
      stored ?? {
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
    this.#stateTable.ensure().exec(
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

  /**
   * The caller's key for spans that were held before their session existed (stored without one): kept
   * from now on like any span batch's key, only while spans may still be forwarded with it.
   */
  adoptKey(apiKey: string | undefined): void {
    if (!apiKey || !this.#endpoint || this.#forward.apiKeyOverride || this.count() === 0) return;
    const state = this.#state();
    if (state.api_key === null) this.#writeState({ ...state, api_key: apiKey });
  }

  count(): number {
    this.#count ??= this.#spanTable.rows<{ n: number }>("SELECT COUNT(*) AS n FROM otel_spans")[0]?.n ?? 0;
    return this.#count;
  }

  /** After the session's tables were wiped from outside this store: the counts are read again. */
  forget(): void {
    this.#count = undefined;
    this.#pending = undefined;
    this.#bytes = undefined;
  }

  /** Bytes of spans held, against SPAN_LIMITS.bytesPerSession. */
  bytes(): number {
    this.#bytes ??=
      this.#spanTable.rows<{ n: number }>(
        "SELECT COALESCE(SUM(length(CAST(span AS BLOB)) + length(CAST(resource AS BLOB)) + length(CAST(scope AS BLOB))), 0) AS n FROM otel_spans",
      )[0]?.n ?? 0;
    return this.#bytes;
  }

  /**
   * Stores spans of this session. Refused whole when the session was aborted or discarded (its spans
   * must never be kept); spans past a per-session cap (count or bytes) are refused and the receipt names
   * the cap. Repeats are accepted again.
   */
  receive(
    meta: SessionMeta | undefined,
    items: SpanItem[],
    conversationTraceId: string | undefined,
    apiKey: string | undefined,
    now: number,
  ): SpanReceipt {
    if (meta && (meta.state === "aborted" || meta.state === "discarded")) {
      return {
        accepted: 0,
        rejected: items.length,
        reason: `session "${meta.sessionId}" was ${meta.state}; its spans are not kept`,
      };
    }
    let count = this.count();
    let bytes = this.bytes();
    let accepted = 0;
    let rejected = 0;
    let cap: SpanReceipt["cap"];
    for (const item of items) {
      const exists =
        this.#spanTable.rows("SELECT 1 FROM otel_spans WHERE trace_id = ? AND span_id = ?", item.traceId, item.spanId)
          .length > 0;
      if (exists) {
        accepted++;
        continue;
      }
      const size = itemBytes(item);
      if (count >= OTLP_LIMITS.spansPerSession) cap = { name: "spansPerSession", limit: OTLP_LIMITS.spansPerSession };
      else if (bytes + size > SPAN_LIMITS.bytesPerSession)
        cap = { name: "bytesPerSession", limit: SPAN_LIMITS.bytesPerSession };
      else {
        this.#spanTable
          .ensure()
          .exec(
            "INSERT INTO otel_spans (trace_id, span_id, parent_span_id, resource, scope, span, received_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            item.traceId,
            item.spanId,
            item.parentSpanId,
            item.resource,
            item.scope,
            item.span,
            now,
          );
        count++;
        bytes += size;
        this.#count = count;
        this.#bytes = bytes;
        if (this.#pending !== undefined) this.#pending++;
        accepted++;
        continue;
      }
      rejected++;
    }
    const state = this.#state();
    const next: StateRow = { ...state, trace_id: state.trace_id ?? conversationTraceId ?? null };
    // The tenant's key is kept only while spans may still be forwarded with it (see step()).
    if (apiKey && this.#endpoint && !this.#forward.apiKeyOverride) next.api_key = apiKey;
    if (state.next_attempt_at === null || state.attempts === 0) next.next_attempt_at = now;
    this.#writeState(next);
    if (rejected === 0 || !cap) return { accepted, rejected };
    const what = cap.name === "spansPerSession" ? `${cap.limit} spans` : `${cap.limit} bytes of spans`;
    return {
      accepted,
      rejected,
      cap,
      reason: `session holds at most ${what} (${cap.name}); ${rejected} span${rejected === 1 ? " was" : "s were"} refused`,
    };
  }

  /** The trace ids this session holds spans of (abort and discard also clear what those traces parked). */
  traceIds(limit = 1000): string[] {
    const ids = new Set(
      this.#spanTable
        .rows<{ trace_id: string }>("SELECT DISTINCT trace_id FROM otel_spans LIMIT ?", limit)
        .map((r) => r.trace_id),
    );
    const known = this.#state().trace_id;
    if (known) ids.add(known);
    return [...ids];
  }

  /**
   * The waterfall's view of the spans: only the fields it draws, extracted by SQLite row by row,
   * ordered by start time and capped, so a long call never loads every span's JSON into memory.
   */
  waterfallTexts(limit: number = SPAN_LIMITS.waterfallSpans): string[] {
    return this.#spanTable
      .rows<{ text: string }>(
        `SELECT json_object(
           'spanId', json_extract(span, '$.spanId'),
           'parentSpanId', json_extract(span, '$.parentSpanId'),
           'name', substr(json_extract(span, '$.name'), 1, 200),
           'startTimeUnixNano', json_extract(span, '$.startTimeUnixNano'),
           'endTimeUnixNano', json_extract(span, '$.endTimeUnixNano'),
           'attributes', (SELECT json_group_array(json(a.value)) FROM json_each(span, '$.attributes') AS a
                          WHERE json_extract(a.value, '$.key') IN ('turn.number', 'turn.was_interrupted', 'function.name', 'gen_ai.provider.name', 'metrics.ttfb'))
         ) AS text
         FROM otel_spans WHERE json_valid(span) ORDER BY CAST(json_extract(span, '$.startTimeUnixNano') AS INTEGER), rowid LIMIT ?`,
        limit,
      )
      .map((r) => r.text);
  }

  /** The conversation's 32-hex trace id (from the span carrying `conversation.id`), else the first span's. */
  traceId(): string | null {
    const known = this.#state().trace_id;
    if (known) return known;
    return (
      this.#spanTable.rows<{ trace_id: string }>(
        "SELECT trace_id FROM otel_spans ORDER BY received_at, rowid LIMIT 1",
      )[0]?.trace_id ?? null
    );
  }

  /** Stored spans (forwarded or not) in arrival order. */
  all(): Pick<SpanItem, "resource" | "scope" | "span">[] {
    return this.#spanTable.rows<{ resource: string; scope: string; span: string }>(
      "SELECT resource, scope, span FROM otel_spans ORDER BY received_at, rowid",
    );
  }

  /** Whether held spans may leave the Worker now: consent given (or deferral is audio-only), not aborted. */
  #mayForward(meta: SessionMeta | undefined): meta is SessionMeta {
    return meta !== undefined && this.#endpoint !== undefined && mayForward(meta);
  }

  #pendingCount(): number {
    this.#pending ??=
      this.#spanTable.rows<{ n: number }>("SELECT COUNT(*) AS n FROM otel_spans WHERE forwarded = 0")[0]?.n ?? 0;
    return this.#pending;
  }

  /** When the DO's alarm should next forward spans, if anything may and must be sent. */
  dueAt(meta: SessionMeta | undefined): number | undefined {
    if (!this.#mayForward(meta) || this.#pendingCount() === 0) return undefined;
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
        const rows = this.#spanTable.rows<{
          trace_id: string;
          span_id: string;
          resource: string;
          scope: string;
          span: string;
        }>(
          "SELECT trace_id, span_id, resource, scope, span FROM otel_spans WHERE forwarded = 0 ORDER BY received_at, rowid LIMIT ?",
          FORWARD_BATCH,
        );
        if (rows.length === 0) {
          // Nothing left to send for a finalized session: forget the key (late spans bring it again).
          if (meta.state === "finalized" && state.api_key) this.#writeState({ ...state, api_key: null });
          return;
        }
        if (!apiKey)
          return this.#writeState({
            ...state,
            last_error: "no Cekura API key: neither CEKURA_FORWARD_API_KEY nor the caller's key is known",
          });
        const attempt = state.attempts + 1;
        const result = await sendSpans({
          endpoint: this.#endpoint,
          apiKey,
          agentId: meta.agentId,
          items: rows,
          timeoutMs: this.#forward.timeoutMs,
        });
        // The session may have been aborted while the request was out: the rows are gone then.
        if (this.#stateTable.rows("SELECT 1 FROM otel_state").length === 0) return;
        const decision = decide(result.kind === "duplicate" ? { kind: "accepted", status: result.status } : result, {
          attempt,
          maxAttempts: this.#forward.maxAttempts,
          sentBefore: attempt > 1,
          now: Date.now(),
          baseMs: this.#forward.baseMs,
          maxMs: this.#forward.maxMs,
        });
        if (decision.status === "pending") {
          return this.#writeState({
            ...state,
            attempts: attempt,
            next_attempt_at: decision.nextAttemptAt,
            last_error: decision.lastError,
          });
        }
        for (const row of rows)
          this.#sql.exec(
            "UPDATE otel_spans SET forwarded = 1 WHERE trace_id = ? AND span_id = ?",
            row.trace_id,
            row.span_id,
          );
        this.#pending = undefined;
        if (decision.status === "dead_letter") {
          this.#writeState({
            ...state,
            attempts: 0,
            next_attempt_at: now,
            last_error: decision.lastError,
            dropped: state.dropped + rows.length,
          });
        } else {
          this.#writeState({ ...state, attempts: 0, next_attempt_at: now, last_error: null });
        }
      }
    } catch (error) {
      // Unexpected (storage): try again after a backoff, not at once (the alarm would fire in a loop).
      const state = this.#state();
      const backoff = Math.min(this.#forward.maxMs, this.#forward.baseMs * 2 ** state.attempts);
      this.#writeState({
        ...state,
        next_attempt_at: Date.now() + backoff,
        last_error: error instanceof Error ? error.message : String(error),
      });
    } finally {
      this.#running = false;
    }
  }

  /** What the forwarder did, for status. */
  forwardState(): SpanForwardState {
    const state = this.#state();
    const held = this.#pendingCount();
    return {
      held,
      forwarded: this.count() - held - state.dropped,
      attempts: state.attempts,
      ...(state.last_error ? { lastError: state.last_error } : {}),
    };
  }
}
