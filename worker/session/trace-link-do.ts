import { DurableObject } from "cloudflare:workers";
import type { WorkerConfig } from "../config.ts";
import type { Env } from "../env.ts";
import type { SpanItem } from "../forward/otel-wire.ts";
import { itemBytes, SPAN_LIMITS } from "./spans.ts";
import { redactParkedSpans } from "../privacy/redaction.ts";
import { forgetTables, LazyTables } from "./tables.ts";

const LINK_SQL = `CREATE TABLE IF NOT EXISTS trace_link (id INTEGER PRIMARY KEY CHECK (id = 1), session_id TEXT NOT NULL)`;
const PARKED_SQL = `CREATE TABLE IF NOT EXISTS parked (
  span_id TEXT PRIMARY KEY,
  item TEXT NOT NULL,
  bytes INTEGER NOT NULL,
  parked_at INTEGER NOT NULL
)`;

/** trace_link.session_id of a trace whose session was aborted, discarded or erased: it names no session. */
const FORGOTTEN = "";

/** Where a trace's spans go: its session (with any spans still parked, to hand over), or parked here. */
export type TraceAnswer =
  | { sessionId: string; parked: SpanItem[] }
  | { parked: number; rejected: number; reason?: string };

/**
 * One tenant's trace (named `<tenant>:<traceId>` on the TRACE_LINKS namespace): which session the trace
 * belongs to, and spans that arrived before any span said so. An exporter that sends children before
 * their parents (span-at-a-time or batch processors) then still lands every span in its session.
 *
 * Parked spans are capped by count and bytes and expire after SPAN_LIMITS.parkedTtlMs (the alarm deletes
 * them), so a trace whose session is never named holds nothing for long. Handing parked spans to the
 * session is two steps: `link`/`route` return them, and `release` deletes them only once the session
 * has stored them, so a failure in between loses nothing (the session stores by trace + span id, so a
 * repeat is harmless).
 */
export class TraceLinkDO extends DurableObject<Env> {
  /** trace_link and parked, created together with the first row either gets. */
  readonly #tables: LazyTables;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#tables = new LazyTables(ctx.storage.sql, "parked", [LINK_SQL, PARKED_SQL]);
  }

  #session(): string | undefined {
    return this.#tables.rows<{ session_id: string }>("SELECT session_id FROM trace_link WHERE id = 1")[0]?.session_id;
  }

  #parked(): SpanItem[] {
    return this.#tables
      .rows<{ item: string }>("SELECT item FROM parked ORDER BY parked_at, rowid")
      .map((r) => JSON.parse(r.item) as SpanItem);
  }

  /** Records the trace's session (the first one wins) and returns the spans parked until now (still parked). */
  async link(sessionId: string): Promise<{ sessionId: string; parked: SpanItem[] }> {
    const known = this.#session();
    if (known === FORGOTTEN) return { sessionId, parked: [] };
    if (!known) {
      this.#tables.ensure().exec("INSERT INTO trace_link (id, session_id) VALUES (1, ?)", sessionId);
      // A link holds a session id: it ends with the object SPAN_LIMITS.parkedTtlMs later (issue 29 item 4).
      await this.#armIfNone(Date.now() + SPAN_LIMITS.parkedTtlMs);
    }
    return { sessionId: known ?? sessionId, parked: this.#parked() };
  }

  /** Spans with no session of their own: their session when the trace is linked, else parked (up to the caps). */
  async route(items: SpanItem[]): Promise<TraceAnswer> {
    const known = this.#session();
    if (known === FORGOTTEN)
      return {
        parked: 0,
        rejected: items.length,
        reason: "the trace's session was aborted, discarded or erased; its spans are not kept",
      };
    if (known) return { sessionId: known, parked: this.#parked() };
    const now = Date.now();
    const held = this.#tables.rows<{ n: number; bytes: number }>(
      "SELECT COUNT(*) AS n, COALESCE(SUM(bytes), 0) AS bytes FROM parked",
    )[0] ?? { n: 0, bytes: 0 };
    let count = held.n;
    let bytes = held.bytes;
    let parked = 0;
    let rejected = 0;
    let reason: string | undefined;
    // The session's own redaction rules are not known yet: the deployment's apply.
    for (const item of redactParkedSpans(this.env, items)) {
      if (this.#tables.rows("SELECT 1 FROM parked WHERE span_id = ?", item.spanId).length > 0) {
        parked++;
        continue;
      }
      const size = itemBytes(item);
      if (count >= SPAN_LIMITS.parkedPerTrace)
        reason = `a trace parks at most ${SPAN_LIMITS.parkedPerTrace} spans until its session is named`;
      else if (bytes + size > SPAN_LIMITS.parkedBytesPerTrace)
        reason = `a trace parks at most ${SPAN_LIMITS.parkedBytesPerTrace} bytes of spans until its session is named`;
      else {
        this.#tables
          .ensure()
          .exec(
            "INSERT INTO parked (span_id, item, bytes, parked_at) VALUES (?, ?, ?, ?)",
            item.spanId,
            JSON.stringify(item),
            size,
            now,
          );
        count++;
        bytes += size;
        parked++;
        continue;
      }
      rejected++;
    }
    if (parked > 0 && (await this.ctx.storage.getAlarm()) === null)
      await this.ctx.storage.setAlarm(now + SPAN_LIMITS.parkedTtlMs);
    return reason ? { parked, rejected, reason } : { parked, rejected };
  }

  async #armIfNone(at: number): Promise<void> {
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(at);
  }

  /** Deletes parked spans the session has stored (the second step of a hand-over). */
  release(spanIds: string[]): void {
    const sql = this.#tables.existing();
    if (!sql) return;
    for (const spanId of spanIds) sql.exec("DELETE FROM parked WHERE span_id = ?", spanId);
  }

  /**
   * The session was aborted, discarded or erased: its parked spans are deleted, and so is its id (which may
   * be a phone number or an email; issue 29 item 6). The trace keeps a link that names no session
   * (FORGOTTEN), so later spans of the trace are refused instead of parking here again, until the alarm
   * ends the object SPAN_LIMITS.parkedTtlMs later.
   */
  async forget(sessionId: string): Promise<void> {
    const known = this.#session();
    if (known !== undefined && known !== sessionId && known !== FORGOTTEN) return;
    const sql = this.#tables.ensure();
    sql.exec("DELETE FROM parked");
    sql.exec("INSERT OR REPLACE INTO trace_link (id, session_id) VALUES (1, ?)", FORGOTTEN);
    await this.ctx.storage.setAlarm(Date.now() + SPAN_LIMITS.parkedTtlMs);
  }

  /** Expires parked spans older than the TTL, then waits for the next oldest. */
  override async alarm(): Promise<void> {
    const sql = this.#tables.existing();
    if (!sql) return;
    // A forgotten trace's link (no id in it) has refused late spans long enough: the object ends.
    if (this.#session() === FORGOTTEN) {
      await this.ctx.storage.deleteAll();
      return forgetTables(this.ctx.storage.sql);
    }
    sql.exec("DELETE FROM parked WHERE parked_at <= ?", Date.now() - SPAN_LIMITS.parkedTtlMs);
    const oldest = sql.exec<{ at: number | null }>("SELECT MIN(parked_at) AS at FROM parked").one().at;
    if (oldest !== null) await this.ctx.storage.setAlarm(oldest + SPAN_LIMITS.parkedTtlMs);
    else {
      // Nothing parked: the link (a session id) ends too; a later span of the trace links it again.
      await this.ctx.storage.deleteAll();
      forgetTables(this.ctx.storage.sql);
    }
  }

  /** Spans parked now (tests and operators). */
  parkedCount(): number {
    return this.#tables.rows<{ n: number }>("SELECT COUNT(*) AS n FROM parked")[0]?.n ?? 0;
  }
}

/** A tenant's trace object; jurisdiction and location hint as for sessions, so spans stay where sessions do. */
export function traceLinkStub(env: Env, config: WorkerConfig, tenant: string, traceId: string) {
  const namespace = config.jurisdiction ? env.TRACE_LINKS.jurisdiction(config.jurisdiction) : env.TRACE_LINKS;
  const id = namespace.idFromName(`${tenant}:${traceId}`);
  return config.locationHint ? namespace.get(id, { locationHint: config.locationHint }) : namespace.get(id);
}
