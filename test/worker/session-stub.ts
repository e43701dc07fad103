import { env, runInDurableObject } from "cloudflare:test";
import { KEY, tenantOf } from "./helpers.ts";

/** The session's DO stub, addressed exactly as the Worker addresses it. */
export async function sessionStubOf(sessionId: string, key = KEY) {
  return env.SESSIONS.get(env.SESSIONS.idFromName(`${await tenantOf(key)}:${sessionId}`));
}

/** Rewrites the stored meta row (simulating the passage of time), as the DO would read it after an eviction. */
export async function editStoredMeta(sessionId: string, edit: (meta: Record<string, any>) => void): Promise<void> {
  const stub = await sessionStubOf(sessionId);
  await runInDurableObject(stub, (_instance, state) => {
    const row = state.storage.sql.exec<{ json: string }>("SELECT json FROM session_meta WHERE id = 1").one();
    const meta = JSON.parse(row.json);
    edit(meta);
    state.storage.sql.exec("UPDATE session_meta SET json = ? WHERE id = 1", JSON.stringify(meta));
  });
}
