import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env.ts";
import { admitSession, releaseSession, removeSession } from "../privacy/open-sessions.ts";

export interface IndexedSession {
  sessionId: string;
  /** When the Worker first heard of the session (epoch ms). */
  createdAt: number;
}

const SCHEMA = `CREATE TABLE IF NOT EXISTS sessions (
  session_id TEXT PRIMARY KEY,
  created_at INTEGER NOT NULL
)`;
/** The inspector sign-in version: a token names the version it was issued under (worker/inspect/access.ts). */
const TOKENS = `CREATE TABLE IF NOT EXISTS inspector_tokens (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL)`;
const BY_TIME = `CREATE INDEX IF NOT EXISTS sessions_by_time ON sessions (created_at DESC)`;

/**
 * One per tenant (named by the tenant hash on its own TENANT_INDEX namespace): the ids of that
 * tenant's sessions, newest first, so the inspector can list them. Holds ids and times, no content.
 */
export class TenantIndexDO extends DurableObject<Env> {
  readonly #sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#sql = ctx.storage.sql;
    this.#sql.exec(SCHEMA);
    this.#sql.exec(BY_TIME);
    this.#sql.exec(TOKENS);
  }

  /** The tenant's current inspector token version (0 until the first bump). */
  tokenVersion(): number {
    return (
      this.#sql.exec<{ version: number }>("SELECT version FROM inspector_tokens WHERE id = 1").toArray()[0]?.version ??
      0
    );
  }

  /** Every inspector token issued so far stops working (logout, erasure). */
  bumpTokenVersion(): number {
    this.#sql.exec(
      "INSERT INTO inspector_tokens (id, version) VALUES (1, 1) ON CONFLICT (id) DO UPDATE SET version = version + 1",
    );
    return this.tokenVersion();
  }

  /** Idempotent: the first registration of an id keeps its time. */
  register(sessionId: string, createdAt: number): void {
    this.#sql.exec(
      "INSERT INTO sessions (session_id, created_at) VALUES (?, ?) ON CONFLICT (session_id) DO NOTHING",
      sessionId,
      createdAt,
    );
  }

  /** Open-session cap (worker/privacy/open-sessions.ts): registers a new session as open if under `cap`. */
  admit(sessionId: string, createdAt: number, cap: number): { ok: true } | { ok: false; open: number } {
    return admitSession(this.#sql, sessionId, createdAt, cap);
  }

  /** The session is no longer open (finalized, aborted, discarded or erased). */
  release(sessionId: string, endedAt: number): void {
    releaseSession(this.#sql, sessionId, endedAt);
  }

  /** An erased session leaves the list, and the tenant's inspector sign-ins end (a page of it may be open). */
  remove(sessionId: string): void {
    removeSession(this.#sql, sessionId);
    this.bumpTokenVersion();
  }

  /** The newest `limit` sessions. */
  list(limit: number): IndexedSession[] {
    return this.#sql
      .exec<{ session_id: string; created_at: number }>(
        "SELECT session_id, created_at FROM sessions ORDER BY created_at DESC LIMIT ?",
        limit,
      )
      .toArray()
      .map((row) => ({ sessionId: row.session_id, createdAt: row.created_at }));
  }
}
