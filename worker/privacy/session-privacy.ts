import type { WorkerConfig } from "../config.ts";
import type { Env } from "../env.ts";
import { fail, type Outcome } from "../errors.ts";
import type { SpanItem } from "../forward/otel-wire.ts";
import type { SessionMeta } from "../session/meta.ts";
import { eraseSession, sweepStorage, type ErasureReceipt } from "./erase.ts";
import { OPEN_SESSIONS_RETRY_AFTER_SECONDS, openSessionCap, releaseInTenantIndex, tenantIndexStub } from "./open-sessions.ts";
import { redactParkedSpans, SessionRedaction } from "./redaction.ts";
import { retentionDueAt, retentionMs } from "./retention.ts";

/** What the session's Durable Object lends its privacy controls. */
export interface PrivacyHost {
  meta(): SessionMeta | undefined;
  save(meta: SessionMeta): void;
  /** The DO forgets its session entirely (retention removed even the tombstone). */
  forget(): void;
  destroyAudio(): Promise<void>;
}

const LIVE = new Set<SessionMeta["state"]>(["open", "closing"]);

/** 409 for every write to an erased session (the tombstone only answers status). */
export function refuseErased(meta: SessionMeta | undefined): Outcome<never> | undefined {
  if (meta?.state !== "erased") return undefined;
  return fail(409, "session_erased", `session "${meta.sessionId}" was erased at ${new Date(meta.erasedAt ?? 0).toISOString()}; it keeps no data and accepts nothing more`);
}

/**
 * The session Durable Object's privacy controls in one place: redaction before storage, erasure,
 * retention (the DO's alarm) and the per-tenant cap on open sessions.
 */
export class SessionPrivacy {
  readonly redaction: SessionRedaction;
  readonly #ctx: DurableObjectState;
  readonly #env: Env;
  readonly #config: WorkerConfig;
  readonly #host: PrivacyHost;
  readonly #retentionMs: number | undefined;
  readonly #cap: number | undefined;
  #lastState: SessionMeta["state"] | undefined;

  constructor(ctx: DurableObjectState, env: Env, config: WorkerConfig, host: PrivacyHost) {
    this.#ctx = ctx;
    this.#env = env;
    this.#config = config;
    this.#host = host;
    this.redaction = new SessionRedaction(ctx.storage.sql, env);
    this.#retentionMs = retentionMs(env);
    this.#cap = openSessionCap(env);
    this.#lastState = host.meta()?.state;
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

  /** Called on every save of the meta row: frees the open-session slot, arms the retention alarm. */
  onSave(meta: SessionMeta): void {
    const was = this.#lastState;
    this.#lastState = meta.state;
    if (this.#cap !== undefined && was !== undefined && LIVE.has(was) && !LIVE.has(meta.state)) {
      this.#ctx.waitUntil(releaseInTenantIndex(this.#env, meta.tenant, meta.sessionId, Date.now()));
    }
    // Abort and discard end with the alarm deleted and nothing re-arming it: the tombstone's expiry is armed
    // here. Every other state change is followed by the DO's own scheduling, which includes retention (arming
    // here too could overwrite an earlier alarm, e.g. a forward retry, that it sets meanwhile).
    if (meta.state !== "aborted" && meta.state !== "discarded") return;
    const due = this.retentionDueAt(meta);
    if (due !== undefined) this.#ctx.waitUntil(this.#armNoLaterThan(due));
  }

  async #armNoLaterThan(at: number): Promise<void> {
    const current = await this.#ctx.storage.getAlarm();
    if (current === null || current > at) await this.#ctx.storage.setAlarm(at);
  }

  retentionDueAt(meta: SessionMeta | undefined): number | undefined {
    return retentionDueAt(meta, this.#retentionMs);
  }

  /**
   * From the DO's alarm, first: true when retention acted (the caller then stops). A finalized session
   * past its age is erased (its tombstone expires N days later); an expired tombstone is removed whole.
   */
  async alarm(meta: SessionMeta, now: number): Promise<boolean> {
    const due = this.retentionDueAt(meta);
    if (due === undefined || due > now) return false;
    if (meta.state === "finalized") {
      await this.erase(meta, now, "retention");
      return true;
    }
    await sweepStorage(this.#ctx.storage, new Set());
    this.#host.forget();
    this.#lastState = undefined;
    return true;
  }

  /** DELETE /v1/sessions/:id (see erase.ts). */
  async erase(caller: { tenant: string; sessionId: string }, now: number, reason: ErasureReceipt["reason"] = "request"): Promise<ErasureReceipt> {
    const receipt = await eraseSession(
      {
        storage: this.#ctx.storage,
        env: this.#env,
        config: this.#config,
        meta: () => this.#host.meta(),
        save: (m) => this.#host.save(m),
        destroyAudio: () => this.#host.destroyAudio(),
        waitUntil: (work) => this.#ctx.waitUntil(work),
      },
      caller,
      now,
      reason,
    );
    const due = this.retentionDueAt(this.#host.meta());
    if (due !== undefined) await this.#ctx.storage.setAlarm(due);
    return receipt;
  }
}
