import type { Env } from "../env.ts";
import type { IndexedSession } from "./tenant-index-do.ts";
import { tenantIndexBookkeeping, tenantIndexStub } from "../privacy/open-sessions.ts";

/** The tenant's index DO (in DO_JURISDICTION, like sessions), or undefined where the binding is absent. */
const indexOf = (env: Env, tenant: string) => tenantIndexStub(env, tenant);

/** Called by the session DO when a session is first seen; never throws (the list is a convenience). */
export const registerInTenantIndex = (env: Env, tenant: string, sessionId: string, createdAt: number): Promise<void> =>
  tenantIndexBookkeeping(env, tenant, "register", (index) => index.register(sessionId, createdAt));

/**
 * Recent sessions of a tenant: the index (live and finalized) merged with the finalized records under
 * records/<tenant>/ (which also covers sessions recorded before the index existed). Newest first.
 */
export async function recentSessions(env: Env, tenant: string, limit: number): Promise<IndexedSession[]> {
  const byId = new Map<string, IndexedSession>();
  const indexed = (await indexOf(env, tenant)?.list(limit)) ?? [];
  for (const s of indexed) byId.set(s.sessionId, s);
  const prefix = `records/${tenant}/`;
  let cursor: string | undefined;
  for (let page = 0; page < 5; page++) {
    const listing = await env.RECORDINGS.list({ prefix, cursor, limit: 1000 });
    for (const object of listing.objects) {
      const sessionId = object.key.slice(prefix.length).replace(/\.json$/, "");
      if (!byId.has(sessionId)) byId.set(sessionId, { sessionId, createdAt: object.uploaded.getTime() });
    }
    if (!listing.truncated) break;
    cursor = listing.cursor;
  }
  return [...byId.values()].sort((a, b) => b.createdAt - a.createdAt).slice(0, limit);
}
