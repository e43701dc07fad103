/**
 * Worker-side (workerd) inspection for the consent tests: what a session left behind in its Durable
 * Object's storage and in R2, read from the outside after the fact.
 */
import { env as testEnv, runInDurableObject } from "cloudflare:test";
import type { Env } from "../../../worker/env.ts";
import { sha256Hex } from "../../../worker/util/sha256.ts";

/** The Worker's own bindings (wrangler.toml), as the tests see them. */
const env = testEnv as unknown as Env;

export const tenantOfKey = (key: string) => sha256Hex(key);

/** The session's DO stub, addressed exactly as the Worker addresses it (tenant:sessionId). */
export async function stubOf(sessionId: string, key: string) {
  return env.SESSIONS.get(env.SESSIONS.idFromName(`${await tenantOfKey(key)}:${sessionId}`));
}

export interface DoStorage {
  /** Row count of every user table (internal _cf_ tables and sqlite_ tables excluded). */
  tables: Record<string, number>;
  /** Key-value entries (storage.put/get API). */
  kvKeys: string[];
  alarm: number | null;
  /** The meta row, parsed; null when there is none. */
  meta: Record<string, unknown> | null;
}

/** A trace's own object (TraceLinkDO: trace -> session, parked spans), addressed as the Worker does. */
export async function traceLinkStubOf(traceId: string, key: string) {
  return env.TRACE_LINKS.get(env.TRACE_LINKS.idFromName(`${await tenantOfKey(key)}:${traceId}`));
}

/** Everything the session's DO holds, read through runInDurableObject + ctx.storage.sql. */
export async function inspectDo(sessionId: string, key: string): Promise<DoStorage> {
  return inspectStorage(await stubOf(sessionId, key));
}

/** Everything a trace's own object holds. */
export async function inspectTraceLink(traceId: string, key: string): Promise<DoStorage> {
  return inspectStorage(await traceLinkStubOf(traceId, key));
}

/** The object's own tables: workerd's (_cf_) and SQLite's (sqlite_) left out. */
function ownTables(sql: SqlStorage): string[] {
  return sql
    .exec<{ name: string }>(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
    )
    .toArray()
    .map((r) => r.name);
}

async function inspectStorage(stub: DurableObjectStub): Promise<DoStorage> {
  return runInDurableObject(stub, async (_instance, state) => {
    const sql = state.storage.sql;
    const names = ownTables(sql);
    const tables: Record<string, number> = {};
    for (const name of names) tables[name] = sql.exec<{ n: number }>(`SELECT count(*) AS n FROM "${name}"`).one().n;
    const metaRow = names.includes("session_meta")
      ? sql.exec<{ json: string }>("SELECT json FROM session_meta").toArray()[0]
      : undefined;
    return {
      tables,
      kvKeys: [...(await state.storage.list()).keys()],
      alarm: await state.storage.getAlarm(),
      meta: metaRow ? (JSON.parse(metaRow.json) as Record<string, unknown>) : null,
    };
  });
}

/**
 * Every stored row's and key-value entry's text, joined (binary columns as their length): to prove that no
 * captured content (e.g. a transcript line, a session id) survives.
 */
export async function dumpDo(sessionId: string, key: string): Promise<string> {
  return dumpStorage(await stubOf(sessionId, key));
}

/** The same for a trace's own object. */
export async function dumpTraceLink(traceId: string, key: string): Promise<string> {
  return dumpStorage(await traceLinkStubOf(traceId, key));
}

async function dumpStorage(stub: DurableObjectStub): Promise<string> {
  return runInDurableObject(stub, async (_instance, state) => {
    const sql = state.storage.sql;
    const parts: string[] = [];
    for (const name of ownTables(sql))
      parts.push(
        JSON.stringify(sql.exec(`SELECT * FROM "${name}"`).toArray(), (_k, v) =>
          v instanceof ArrayBuffer ? `<${v.byteLength} bytes>` : v,
        ),
      );
    for (const [k, v] of await state.storage.list()) parts.push(k, JSON.stringify(v));
    return parts.join("\n");
  });
}

/** Keys of every R2 object whose key contains the session id (records/, audio, staging - any layout). */
export async function r2KeysFor(sessionId: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await env.RECORDINGS.list({ cursor, limit: 1000 });
    for (const object of page.objects) if (object.key.includes(sessionId)) keys.push(object.key);
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  return keys;
}

/** True when the multipart upload can still take a part (i.e. it was not aborted or completed). */
export async function multipartStillOpen(key: string, uploadId: string): Promise<boolean> {
  try {
    const upload = env.RECORDINGS.resumeMultipartUpload(key, uploadId);
    await upload.uploadPart(1, new Uint8Array(16));
    return true;
  } catch {
    return false;
  }
}

/** The audio store's multipart upload (key, uploadId) as persisted in the DO, if one was started. */
export async function audioUpload(
  sessionId: string,
  key: string,
): Promise<{ key: string; uploadId: string } | undefined> {
  const stub = await stubOf(sessionId, key);
  return runInDurableObject(stub, (_instance, state) => {
    const row = state.storage.sql.exec<{ json: string }>("SELECT json FROM audio_state WHERE id = 1").toArray()[0];
    const audio = row ? (JSON.parse(row.json) as { key?: string; uploadId?: string }) : {};
    return audio.key && audio.uploadId ? { key: audio.key, uploadId: audio.uploadId } : undefined;
  });
}

/** An R2 object's bytes, or null. */
export async function r2Bytes(key: string): Promise<Uint8Array | null> {
  const object = await env.RECORDINGS.get(key);
  return object ? new Uint8Array(await object.arrayBuffer()) : null;
}
