import { configOf } from "../config.ts";
import type { Env } from "../env.ts";

/** Retry-After of a 429 for the open-session cap: sessions end by close or idle timeout, not on a schedule. */
export const OPEN_SESSIONS_RETRY_AFTER_SECONDS = 30;

/** MAX_OPEN_SESSIONS_PER_TENANT: unset, empty or 0 = no cap. A bad value fails loudly. */
export function openSessionCap(env: Env): number | undefined {
  const raw = env.MAX_OPEN_SESSIONS_PER_TENANT?.trim();
  if (!raw) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0)
    throw new Error(`MAX_OPEN_SESSIONS_PER_TENANT must be a whole number (0 = no cap), got "${raw}"`);
  return n === 0 ? undefined : n;
}

/**
 * The tenant's index Durable Object (one per tenant), honouring DO_JURISDICTION and DO_LOCATION_HINT
 * like session objects do; undefined where the binding is absent.
 */
export function tenantIndexStub(env: Env, tenant: string) {
  const binding = env.TENANT_INDEX;
  if (!binding) return undefined;
  const config = configOf(env);
  const namespace = config.jurisdiction ? binding.jurisdiction(config.jurisdiction) : binding;
  const id = namespace.idFromName(tenant);
  return config.locationHint ? namespace.get(id, { locationHint: config.locationHint }) : namespace.get(id);
}

const OPEN_COLUMNS = [
  "ALTER TABLE sessions ADD COLUMN open INTEGER NOT NULL DEFAULT 0",
  "ALTER TABLE sessions ADD COLUMN ended_at INTEGER",
];

/** Adds the open-session columns to the index's `sessions` table (once; older indexes lack them). */
export function ensureOpenColumns(sql: SqlStorage): void {
  const columns = new Set(
    sql
      .exec<{ name: string }>("PRAGMA table_info(sessions)")
      .toArray()
      .map((c) => c.name),
  );
  if (!columns.has("open")) sql.exec(OPEN_COLUMNS[0]!);
  if (!columns.has("ended_at")) sql.exec(OPEN_COLUMNS[1]!);
}

/**
 * Admits a new session under the cap: already known ids always pass; otherwise it is registered as
 * open when fewer than `cap` sessions of the tenant are open.
 */
export function admitSession(
  sql: SqlStorage,
  sessionId: string,
  createdAt: number,
  cap: number,
): { ok: true } | { ok: false; open: number } {
  ensureOpenColumns(sql);
  const known = sql.exec<{ open: number }>("SELECT open FROM sessions WHERE session_id = ?", sessionId).toArray()[0];
  if (known) return { ok: true };
  const open = sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM sessions WHERE open = 1").one().n;
  if (open >= cap) return { ok: false, open };
  sql.exec("INSERT INTO sessions (session_id, created_at, open) VALUES (?, ?, 1)", sessionId, createdAt);
  return { ok: true };
}

/** The session left open/closing (finalized, aborted, discarded, erased). */
export function releaseSession(sql: SqlStorage, sessionId: string, endedAt: number): void {
  ensureOpenColumns(sql);
  sql.exec("UPDATE sessions SET open = 0, ended_at = ? WHERE session_id = ?", endedAt, sessionId);
}

export function removeSession(sql: SqlStorage, sessionId: string): void {
  sql.exec("DELETE FROM sessions WHERE session_id = ?", sessionId);
}

/**
 * Runs one call on the tenant's index and never throws: the index is bookkeeping (the inspector's list, the
 * open-session count), and what the caller does (register, release, erase a session) does not depend on it.
 */
export async function tenantIndexBookkeeping(
  env: Env,
  tenant: string,
  what: string,
  call: (index: NonNullable<ReturnType<typeof tenantIndexStub>>) => Promise<unknown>,
): Promise<void> {
  try {
    const index = tenantIndexStub(env, tenant);
    if (index) await call(index);
  } catch (error) {
    console.error(`tenant index: ${what} failed`, error instanceof Error ? error.message : String(error));
  }
}

export const removeFromTenantIndex = (env: Env, tenant: string, sessionId: string): Promise<void> =>
  tenantIndexBookkeeping(env, tenant, "remove", (index) => index.remove(sessionId));

export const releaseInTenantIndex = (env: Env, tenant: string, sessionId: string, endedAt: number): Promise<void> =>
  tenantIndexBookkeeping(env, tenant, "release", (index) => index.release(sessionId, endedAt));
