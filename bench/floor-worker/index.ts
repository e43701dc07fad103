/**
 * The storage floor for bench/capacity.ts: what any Worker that keeps each request durably in a
 * session's SQLite Durable Object must do, and nothing more - one RPC to the session's DO and one
 * INSERT of the body (an audio chunk as a BLOB, a fragment as TEXT). No auth, validation or state machine.
 * The Worker's distance from this floor is its own overhead; the floor's distance from the echo Worker
 * is what durable storage on this machine costs.
 */
import { DurableObject } from "cloudflare:workers";

interface Env {
  SESSIONS: DurableObjectNamespace<FloorSession>;
}

export class FloorSession extends DurableObject<Env> {
  #ready = false;

  #sql(): SqlStorage {
    const sql = this.ctx.storage.sql;
    if (!this.#ready) sql.exec("CREATE TABLE IF NOT EXISTS rows (id INTEGER PRIMARY KEY, body BLOB NOT NULL)");
    this.#ready = true;
    return sql;
  }

  store(seq: number, body: ArrayBuffer): { ackedThrough: number } {
    this.#sql().exec("INSERT OR REPLACE INTO rows (id, body) VALUES (?, ?)", seq, body);
    return { ackedThrough: seq };
  }
}

const ROUTE = /^\/v1\/sessions\/([^/]+)\/(fragments|audio\/(\d+))$/;

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const match = ROUTE.exec(new URL(request.url).pathname);
    if (!match) return new Response("not found", { status: 404 });
    const body = await request.arrayBuffer();
    const stub = env.SESSIONS.get(env.SESSIONS.idFromName(match[1]!));
    // Fragments and chunks get disjoint ids; a fragment's seq is not read (its body is stored as sent).
    const seq = match[3] !== undefined ? 2 * Number(match[3]) : 2 * Math.floor(Math.random() * 1e9) + 1;
    return Response.json(await stub.store(seq, body));
  },
};
