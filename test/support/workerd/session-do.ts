/** Reaching a session's Durable Object directly from a workerd test (to inspect or rewind its storage). */
import { env, runInDurableObject } from "cloudflare:test";
import { KEY, tenantOf } from "./api.ts";

/** The session's DO stub, addressed exactly as the Worker addresses it (tenant:sessionId). */
export async function sessionStubOf(sessionId: string, key = KEY) {
  return env.SESSIONS.get(env.SESSIONS.idFromName(`${await tenantOf(key)}:${sessionId}`));
}

/** Rewrites the stored meta row (simulating the passage of time), as the DO would read it after an eviction. */
export async function editStoredMeta(
  sessionId: string,
  edit: (meta: Record<string, any>) => void,
  key = KEY,
): Promise<void> {
  await runInDurableObject(await sessionStubOf(sessionId, key), (_instance, state) => {
    const row = state.storage.sql.exec<{ json: string }>("SELECT json FROM session_meta WHERE id = 1").one();
    const meta = JSON.parse(row.json);
    edit(meta);
    state.storage.sql.exec("UPDATE session_meta SET json = ? WHERE id = 1", JSON.stringify(meta));
  });
}

/** The stored meta row, parsed. */
export async function storedMeta(sessionId: string, key = KEY): Promise<Record<string, any>> {
  return runInDurableObject(await sessionStubOf(sessionId, key), (_instance, state) =>
    JSON.parse(state.storage.sql.exec<{ json: string }>("SELECT json FROM session_meta WHERE id = 1").one().json),
  );
}
