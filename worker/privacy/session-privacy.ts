import type { Env } from "../env.ts";
import { fail, type Outcome } from "../errors.ts";
import type { SessionMeta } from "../session/meta.ts";
import { wipeCapturedTables } from "../session/wipe.ts";
import { OPEN_SESSIONS_RETRY_AFTER_SECONDS, openSessionCap, tenantIndexStub } from "./open-sessions.ts";
import { SessionRedaction } from "./redaction.ts";
import { retentionDueAt, retentionMs } from "./retention.ts";

const LIVE = new Set<SessionMeta["state"]>(["open", "closing"]);

/** 409 for every write to an erased session (the tombstone only answers status). */
export function refuseErased(meta: SessionMeta | undefined): Outcome<never> | undefined {
  if (meta?.state !== "erased") return undefined;
  return fail(
    409,
    "session_erased",
    `session "${meta.sessionId}" was erased at ${new Date(meta.erasedAt ?? 0).toISOString()}; it keeps no data and accepts nothing more`,
  );
}

/** What retention asks of the session's alarm: erase a finalized session past its age, or remove an expired tombstone. */
export type RetentionAction = "erase" | "remove";

/**
 * The session Durable Object's privacy controls in one place: redaction before storage, the rules of
 * retention and of the per-tenant cap on open sessions, and the storage they touch. It answers and
 * returns; the Durable Object saves its meta, destroys audio, arms the alarm and forgets its session.
 */
export class SessionPrivacy {
  readonly redaction: SessionRedaction;
  readonly #storage: DurableObjectStorage;
  readonly #env: Env;
  readonly #retentionMs: number | undefined;
  readonly #cap: number | undefined;

  constructor(storage: DurableObjectStorage, env: Env) {
    this.#storage = storage;
    this.#env = env;
    this.redaction = new SessionRedaction(storage.sql, env);
    this.#retentionMs = retentionMs(env);
    this.#cap = openSessionCap(env);
  }

  /** Before a write creates the session: 429 with Retry-After when the tenant has its cap of open sessions. */
  async admit(tenant: string, sessionId: string, now: number): Promise<Outcome<never> | undefined> {
    if (this.#cap === undefined) return undefined;
    const index = tenantIndexStub(this.#env, tenant);
    if (!index) return undefined;
    const answer = await index.admit(sessionId, now, this.#cap);
    if (answer.ok) return undefined;
    return {
      ok: false,
      status: 429,
      error: "too_many_open_sessions",
      detail: `this API key has ${answer.open} open sessions, the most this Worker allows (MAX_OPEN_SESSIONS_PER_TENANT=${this.#cap}); close one or retry later`,
      headers: { "retry-after": String(OPEN_SESSIONS_RETRY_AFTER_SECONDS) },
    };
  }

  /** Whether a save that moves the session from `was` to `state` frees its slot under the open-session cap. */
  freesSlot(was: SessionMeta["state"] | undefined, state: SessionMeta["state"]): boolean {
    return this.#cap !== undefined && was !== undefined && LIVE.has(was) && !LIVE.has(state);
  }

  /**
   * When a saved tombstone of an abort or discard expires. Those end with the alarm deleted and nothing
   * re-arming it, so the DO arms this itself. Every other state change is followed by the DO's own
   * scheduling, which includes retention (arming then too could overwrite an earlier alarm, e.g. a forward
   * retry, that it sets meanwhile).
   */
  tombstoneExpiry(meta: SessionMeta): number | undefined {
    if (meta.state !== "aborted" && meta.state !== "discarded") return undefined;
    return this.retentionDueAt(meta);
  }

  retentionDueAt(meta: SessionMeta | undefined): number | undefined {
    return retentionDueAt(meta, this.#retentionMs);
  }

  /**
   * From the DO's alarm, first: what retention asks now, if anything (the caller then stops). A finalized
   * session past its age is erased (its tombstone expires N days later); an expired tombstone is removed whole.
   */
  retentionAction(meta: SessionMeta, now: number): RetentionAction | undefined {
    const due = this.retentionDueAt(meta);
    if (due === undefined || due > now) return undefined;
    return meta.state === "finalized" ? "erase" : "remove";
  }

  /** Removes every row, key and the alarm, the meta row too: the session is then as if never seen. */
  removeAll(): Promise<void> {
    return wipeCapturedTables(this.#storage, new Set());
  }
}
