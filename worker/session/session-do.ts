import { DurableObject } from "cloudflare:workers";
import {
  fragmentSchema,
  type CloseRequest,
  type Fragment,
  type FragmentAck,
  type SessionControl,
} from "../../sdk/protocol.ts";
import { configOf, type WorkerConfig } from "../config.ts";
import type { Env } from "../env.ts";
import { fail, HttpError, ok, sessionNotFound, type Outcome } from "../errors.ts";
import { parseJson } from "../middleware/body.ts";
import { checkedFragment } from "./fragment-check.ts";
import { sha256Hex } from "../util/sha256.ts";
import { recordKey, writeRecord } from "../storage/records.ts";
import { audioObjectStore } from "../storage/object-store.ts";
import { SESSION_CAPS } from "./caps.ts";
import { AudioStore, audioKey, readPartBytes, type AudioAck, type AudioChunk } from "./audio-store.ts";
import * as consent from "./consent.ts";
import { eventRows, FragmentStore } from "./fragments.ts";
import {
  MetaStore,
  refuseIntroMismatch,
  sessionFromIntro,
  type Caller,
  type SessionIntro,
  type SessionMeta,
} from "./meta.ts";
import { wipeCapturedTables } from "./wipe.ts";
import { forgetTables } from "./tables.ts";
import { forwardDueAt, Outbox, type ForwardState } from "./outbox.ts";
import { itemBytes, SPAN_LIMITS, SpanStore, type SpanReceipt } from "./spans.ts";
import { traceLinkStub } from "./trace-link-do.ts";
import type { SpanItem } from "../forward/otel-wire.ts";
import { buildRecord, withoutAudio, type SessionRecord } from "./record.ts";
import { registerInTenantIndex } from "../inspect/tenant-index.ts";
import { toStatus, type SessionStatus } from "./status.ts";
import { SessionPrivacy } from "../privacy/session-privacy.ts";
import {
  eraseStoredData,
  erasedBefore,
  erasedTombstone,
  erasureFacts,
  markErasing,
  peaksKey,
  receiptOf,
  type ErasureReceipt,
} from "../privacy/erase.ts";
import { releaseInTenantIndex, removeFromTenantIndex } from "../privacy/open-sessions.ts";

export type { Caller };

/** Spans held for a session that does not exist yet: at most this many, for at most this long (issue 29 item 4). */
const PRE_CONTACT_SPANS = SPAN_LIMITS.parkedPerTrace;
const PRE_CONTACT_SPAN_BYTES = SPAN_LIMITS.parkedBytesPerTrace;
const PRE_CONTACT_TTL_MS = SPAN_LIMITS.parkedTtlMs;

/** Finalization retries after a storage error: 1 s, 2 s, 4 s ... up to 5 minutes. */
const FINALIZE_RETRY_BASE_MS = 1000;
const FINALIZE_RETRY_MAX_MS = 5 * 60 * 1000;

/**
 * Whether the session is gone as far as the API says: aborted, discarded, erased, or removed whole by
 * retention (no meta). Finalization checks this after each await and deletes what it wrote meanwhile.
 */
function isDestroyed(meta: SessionMeta | undefined): boolean {
  return meta === undefined || meta.state === "aborted" || meta.state === "discarded" || meta.state === "erased";
}

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error)).slice(0, 1000);

/**
 * How stale the stored lastActivityAt may get while fragments or audio stream in: the meta row is written at
 * most this often for activity alone (each write is a billed row), so after an eviction the idle timeout may
 * come this much early - at most 30 s, and never more than 5% of the idle timeout (30 s of the default 600 s).
 */
const activitySaveMs = (idleTimeoutMs: number) => Math.min(30_000, idleTimeoutMs / 20);
/** A track call's idle timeout is at most half of Cekura's track window (worker/config.ts). */
const idleTimeoutOf = (mode: string, config: { idleTimeoutMs: number; trackIdleTimeoutMs: number }) =>
  mode === "track" ? config.trackIdleTimeoutMs : config.idleTimeoutMs;

/** 413 when a fragment would take the session past its event caps; nothing accepted before is touched. */
function refuseOverCaps(meta: SessionMeta, events: number, bytes: number): Outcome<never> | undefined {
  if (meta.eventCount + events > SESSION_CAPS.events) {
    return fail(
      413,
      "session_limit_exceeded",
      `session "${meta.sessionId}" holds ${meta.eventCount} events; ${events} more would pass its cap of ${SESSION_CAPS.events} events (events cap)`,
    );
  }
  const held = meta.eventBytes ?? 0;
  if (held + bytes > SESSION_CAPS.eventBytes) {
    return fail(
      413,
      "session_limit_exceeded",
      `session "${meta.sessionId}" holds ${held} bytes of events; ${bytes} more would pass its cap of ${SESSION_CAPS.eventBytes} bytes (eventBytes cap)`,
    );
  }
  return undefined;
}

/** A fragment body parsed and validated, or the 400 that names what is wrong. */
function readFragment(body: Uint8Array): Outcome<Fragment> {
  try {
    return ok(parseJson(body, fragmentSchema, checkedFragment));
  } catch (error) {
    if (error instanceof HttpError) return fail(error.status, error.code, error.detail);
    throw error;
  }
}

const INTRO_HINT = "to make this the first contact, send agentId and mode in the body";

/**
 * One call's state: fragments by seq, the state machine open -> closing -> finalized,
 * the idle alarm, and the immutable record. SQLite-backed; in-memory fields are caches
 * rebuilt from storage after an eviction.
 */
export class SessionDO extends DurableObject<Env> {
  readonly #config: WorkerConfig;
  readonly #metaStore: MetaStore;
  readonly #fragments: FragmentStore;
  #meta: SessionMeta | undefined;
  /** Forwarding to Cekura lives in outbox.ts. */
  readonly #outbox: Outbox;
  /** Audio chunks and the WAV's multipart upload live in audio-store.ts. */
  readonly #audio: AudioStore;
  /** OTel spans: held, forwarded and deleted by spans.ts. */
  readonly #spans: SpanStore;
  /** The finalization in progress, if one is (see #finalize). */
  #finalizing: Promise<void> | undefined;
  /** Whether a forwarding attempt is in progress (see #forward). */
  #forwarding = false;
  /** Redaction, erasure, retention, open-session cap: worker/privacy/. */
  readonly #privacy: SessionPrivacy;
  /** Span forwarding steps running: a batch may be out to the collector (the erasure receipt counts it). */
  #spansStepping = 0;
  /** lastActivityAt as the meta row holds it (the in-memory meta may be newer, see activitySaveMs). */
  #storedActivityAt = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#config = configOf(env);
    this.#metaStore = new MetaStore(ctx.storage.sql);
    this.#fragments = new FragmentStore(ctx.storage.sql);
    this.#meta = this.#fragments.recount(this.#metaStore.load());
    this.#storedActivityAt = this.#meta?.lastActivityAt ?? 0;
    this.#outbox = new Outbox(ctx.storage.sql, env, this.#config);
    this.#audio = new AudioStore(ctx.storage.sql, audioObjectStore(env), readPartBytes(env));
    this.#spans = new SpanStore(ctx.storage.sql, env, this.#config.otelEndpoint);
    this.#privacy = new SessionPrivacy(ctx.storage, env);
  }

  /** PUT /audio/:chunkSeq: see audio-store.ts. Headers may introduce the session (first contact). */
  async audio(caller: Caller, intro: SessionIntro | undefined, chunk: AudioChunk): Promise<Outcome<AudioAck>> {
    const now = Date.now();
    const firstContact = this.#meta === undefined;
    const found = await this.#admitOrFind(
      caller,
      intro,
      now,
      "send X-Cekura-Agent-Id and X-Cekura-Mode to make an audio chunk the first contact",
    );
    if (!found.ok) return found;
    const meta = found.value;
    const refused =
      consent.refuseWrites(meta) ?? refuseIntroMismatch(meta, intro, "an audio chunk") ?? consent.refuseAudio(meta);
    if (refused) return refused;
    const ack = await this.#audio.accept(meta, chunk);
    if (!ack.ok) return ack;
    // The upload awaited storage: read the meta again (an abort may have come in meanwhile).
    const current = this.#meta!;
    // An open session notes activity at most every few seconds: one row per chunk, not two.
    if (
      !firstContact &&
      current.state === "open" &&
      now - this.#storedActivityAt < activitySaveMs(this.#config.idleTimeoutMs)
    ) {
      current.lastActivityAt = now;
      return ack;
    }
    if (current.state === "open" || current.state === "closing") this.#save({ ...current, lastActivityAt: now });
    await this.#finalizeIfComplete(now);
    await this.#scheduleAlarm();
    return ack;
  }

  /** POST /consent (startAudioUpload). Idempotent; 409 once the session was aborted or discarded. */
  async consent(caller: Caller, request: SessionControl): Promise<Outcome<SessionStatus>> {
    const now = Date.now();
    const found = await this.#admitOrFind(caller, consent.introOf(request), now, INTRO_HINT);
    if (!found.ok) return found;
    const granted = consent.grant(found.value, now);
    if (!granted.ok) return granted;
    if (granted.value !== found.value) this.#save(granted.value);
    // Spans held while deferred may leave now, not at the next upload.
    await this.#scheduleAlarm();
    return ok(this.#status(granted.value));
  }

  /** POST /abort: destroys everything captured, keeps a tombstone. Idempotent; an unknown session becomes one. */
  async abort(caller: Caller, request: SessionControl): Promise<Outcome<SessionStatus>> {
    const now = Date.now();
    const aborted = this.#meta ? consent.markAborted(this.#meta) : ok(consent.tombstone(caller, request, now));
    if (!aborted.ok) return aborted;
    this.#save(aborted.value);
    if (aborted.value.destroyComplete !== true) await this.#destroy(now);
    return ok(this.#status(this.#meta!));
  }

  /** POST /abort-recording: drops the audio only; the rest is kept and finalized. */
  async abortRecording(caller: Caller, request: SessionControl): Promise<Outcome<SessionStatus>> {
    const now = Date.now();
    const found = await this.#admitOrFind(caller, consent.introOf(request), now, INTRO_HINT);
    if (!found.ok) return found;
    const decision = consent.recordingAbort(found.value);
    if (!decision.ok) return decision;
    if (decision.value === "drop") await this.#dropAudio(now, "abort-recording");
    return ok(this.#status(this.#meta!));
  }

  /** POST /fragments: the body's bytes as received (size-capped and gunzipped by the route). */
  async fragment(caller: Caller, body: Uint8Array): Promise<Outcome<FragmentAck>> {
    const read = readFragment(body);
    if (!read.ok) return read;
    const fragment = read.value;
    // sentAt may differ between retries of one fragment; identity is seq + content.
    const bodyHash = await sha256Hex(JSON.stringify([fragment.agentId, fragment.mode, fragment.seq, fragment.events]));
    // A fragment stored while the record is being built would be acknowledged and then left out: wait,
    // then answer as the session stands (finalized: 409; a failed attempt: stored for the retry).
    if (this.#finalizing) await this.#finalizing;
    const now = Date.now();
    if (!this.#meta) {
      const full = await this.#privacy.admit(caller.tenant, caller.sessionId, now);
      if (full) return full;
    }
    const created = this.#meta === undefined;
    const meta = this.#meta ?? this.#create(caller, fragment, now);
    // Spans held before the session existed were stored without a key: the session's first fragment brings it.
    if (created) this.#spans.adoptKey(caller.apiKey);
    const refused = consent.refuseWrites(meta) ?? refuseIntroMismatch(meta, fragment, "a fragment");
    if (refused) return refused;
    this.#privacy.redaction.absorb(fragment.redact);
    this.#outbox.rememberKey(caller.apiKey);

    const existing = this.#fragments.hashOf(fragment.seq);
    if (existing !== undefined) {
      if (existing !== bodyHash) {
        return fail(
          409,
          "fragment_conflict",
          `seq ${fragment.seq} was already received with a different body; a repeated seq must repeat the same events`,
        );
      }
      return ok(this.#ack(meta));
    }
    if (meta.state === "closing" && meta.close && fragment.seq > meta.close.lastSeq) {
      return fail(
        409,
        "session_closing",
        `the session was closed at lastSeq ${meta.close.lastSeq}; seq ${fragment.seq} comes after it`,
      );
    }
    // The caps count what is stored: the events after redaction, which may be longer than as received.
    const stored = eventRows(this.#privacy.redaction.events(fragment.events));
    const overCap = refuseOverCaps(meta, fragment.events.length, stored.bytes);
    if (overCap) return overCap;

    this.#fragments.insert(fragment.seq, bodyHash, stored, now, fragment.events.length);
    const learnedSdk = !meta.sdk && fragment.sdk !== undefined;
    if (learnedSdk) meta.sdk = fragment.sdk;
    meta.fragmentCount++;
    meta.eventCount += fragment.events.length;
    meta.eventBytes = (meta.eventBytes ?? 0) + stored.bytes;
    meta.maxSeq = Math.max(meta.maxSeq, fragment.seq);
    meta.ackedThrough = this.#fragments.advance(meta.ackedThrough);
    meta.lastActivityAt = now;
    // The fragment's row is what makes it durable: after an eviction the counts above are recounted from the
    // rows (FragmentStore.recount), so the meta row is written only for what no row tells - the SDK info - and
    // for the activity time at most every activitySaveMs. Any other save writes these counts too.
    if (learnedSdk || now - this.#storedActivityAt >= activitySaveMs(this.#config.idleTimeoutMs)) this.#save(meta);

    await this.#finalizeIfComplete(now);
    await this.#scheduleAlarm();
    return ok(this.#ack(this.#meta!));
  }

  async close(caller: Caller, request: CloseRequest): Promise<Outcome<SessionStatus>> {
    const now = Date.now();
    const found = await this.#admitOrFind(caller, consent.introOf(request), now);
    if (!found.ok) return found;
    const meta = found.value;
    if (meta.state === "closing") {
      // A repeated close (say, after a crash cut the first one mid-finalization) finishes what it can now.
      await this.#finalizeIfComplete(now);
      await this.#scheduleAlarm();
      return ok(this.#status(this.#meta!));
    }
    if (meta.state === "finalized" || meta.state === "discarded") return ok(this.#status(meta));
    const refused = consent.refuseWrites(meta);
    if (refused) return refused;
    if (consent.closeMeaning(meta) === "discard") {
      await this.#discard(now, request.reason);
      return ok(this.#status(this.#meta!));
    }
    this.#outbox.rememberKey(caller.apiKey);
    this.#spans.adoptKey(caller.apiKey);

    this.#save({
      ...meta,
      state: "closing",
      close: {
        requestedAt: now,
        lastSeq: request.lastSeq,
        lastAudioSeq: request.lastAudioSeq ?? -1,
        reason: request.reason,
        deadline: now + this.#config.closeGraceMs,
      },
      lastActivityAt: now,
    });
    // Armed before finalizing: a crash during finalization still leaves the close deadline's alarm.
    await this.#scheduleAlarm();
    await this.#finalizeIfComplete(now);
    await this.#scheduleAlarm();
    return ok(this.#status(this.#meta!));
  }

  /**
   * The session a call acts on, with the open-session cap for any route whose request may create it (issue 29
   * item 5): a first contact that carries an intro is admitted by the tenant index, or refused 429 before
   * anything is stored; with neither a session nor an intro, 404 with `hint`.
   */
  async #admitOrFind(
    caller: Caller,
    intro: SessionIntro | undefined,
    now: number,
    hint?: string,
  ): Promise<Outcome<SessionMeta>> {
    if (this.#meta === undefined && intro !== undefined) {
      const full = await this.#privacy.admit(caller.tenant, caller.sessionId, now);
      if (full) return full;
    }
    return this.#sessionOrIntro(caller, intro, now, hint);
  }

  async status(caller: Caller): Promise<Outcome<SessionStatus>> {
    const found = this.#own(caller);
    return found.ok ? ok(this.#status(found.value)) : found;
  }

  /**
   * The one alarm: idle timeout, close deadline, finalization retries, forwarding, spans. Each step
   * catches its own error and records it where status shows it; the alarm is always re-armed, because
   * the platform gives up on an alarm that keeps throwing.
   */
  override async alarm(): Promise<void> {
    try {
      await this.#alarmSteps();
    } catch (error) {
      console.error("session alarm step failed", this.#meta?.sessionId, errorText(error));
    } finally {
      await this.#scheduleAlarm();
    }
  }

  async #alarmSteps(): Promise<void> {
    const meta = this.#meta;
    if (!meta) {
      // Spans held for a session that was never created (see #holdBeforeContact): the object ends.
      await this.ctx.storage.deleteAll();
      forgetTables(this.ctx.storage.sql);
      this.#forgetCounts();
      return;
    }
    const now = Date.now();
    const retention = this.#privacy.retentionAction(meta, now);
    if (retention === "erase") return void (await this.#erase(meta, now, "retention"));
    if (retention === "remove") {
      // The tombstone expired: the session is forgotten whole, as if never seen - its id in the tenant's
      // index too (an aborted or discarded call's stayed there; issue 29 item 6).
      await removeFromTenantIndex(this.env, meta.tenant, meta.sessionId);
      await this.#privacy.removeAll();
      this.#forgetCounts();
      this.#meta = undefined;
      return;
    }
    if (meta.state === "open") {
      const idle = now >= meta.lastActivityAt + idleTimeoutOf(meta.mode, this.#config);
      // Writes push the idle timeout back; nothing pushes this one: a session cannot be kept open for ever.
      const tooLong = now >= meta.createdAt + SESSION_CAPS.openSeconds * 1000;
      if (idle || tooLong) {
        const reason = idle ? "idle-timeout" : "max-duration";
        const requestedAt = idle ? meta.lastActivityAt : now;
        this.#save({
          ...meta,
          state: "closing",
          close: { requestedAt, lastSeq: meta.maxSeq, lastAudioSeq: -1, reason, deadline: now },
        });
      }
    }
    const closing = this.#meta!;
    if (closing.state === "closing" && closing.close) {
      const retryDue = closing.finalization !== undefined && now >= closing.finalization.nextAttemptAt;
      if (now >= closing.close.deadline || retryDue) await this.#finalize(now);
      else await this.#finalizeIfComplete(now);
    }
    await this.#forward(Date.now());
    this.#spansStepping++;
    try {
      await this.#spans.step(this.#meta, Date.now());
    } finally {
      this.#spansStepping--;
    }
  }

  /**
   * One attempt to forward the record when one is due (see outbox.ts). The attempt is saved as counted,
   * with its retry time, and the alarm armed, before the request leaves. Never throws.
   */
  async #forward(now: number): Promise<void> {
    const meta = this.#meta!;
    const due = forwardDueAt(meta);
    if (due === undefined || due > now || this.#forwarding) return;
    this.#forwarding = true;
    try {
      const begun = await this.#outbox.begin(meta, now);
      if ("settled" in begun) return void this.#saveForward(begun.settled);
      // An erasure that came in while the record was read wins: nothing leaves.
      if (!this.#saveForward(begun.attempt.inFlight)) return;
      await this.#scheduleAlarm();
      await this.ctx.storage.sync?.();
      const result = await this.#outbox.send(begun.attempt);
      // An erasure that came in while the request was out wins: the answer changes nothing, the key is not kept.
      if (this.#meta?.state !== "finalized") return this.#outbox.forget();
      this.#saveForward(this.#outbox.settle(begun.attempt, result));
    } catch (error) {
      console.error("forward attempt failed unexpectedly", meta.sessionId, errorText(error));
      this.#saveForward(this.#outbox.failed(this.#meta?.forward ?? meta.forward, error, Date.now()));
    } finally {
      this.#forwarding = false;
    }
  }

  /** Saves a forward state, unless the session stopped forwarding meanwhile (an erasure wins). */
  #saveForward(forward: ForwardState): boolean {
    const meta = this.#meta;
    if (meta?.state !== "finalized") return false;
    this.#save({ ...meta, forward });
    return true;
  }

  /** Operator re-queue of a dead-lettered forward (same tenant): see outbox.ts. */
  async requeueForward(caller: Caller): Promise<Outcome<SessionStatus>> {
    const found = this.#own(caller);
    if (!found.ok) return found;
    const meta = found.value;
    const requeued = this.#outbox.requeue(meta, Date.now(), caller.apiKey);
    if (!requeued.ok) return requeued;
    this.#save({ ...meta, forward: requeued.value });
    await this.#scheduleAlarm();
    return ok(this.#status(this.#meta!));
  }

  /** Creates the session as its first contact describes it. */
  #create(caller: Caller, intro: SessionIntro, now: number): SessionMeta {
    const meta = sessionFromIntro(caller, intro, now);
    this.#save(meta);
    this.ctx.waitUntil(registerInTenantIndex(this.env, meta.tenant, meta.sessionId, now));
    return meta;
  }

  /** The session, created from `intro` on first contact; 404 when there is none and nothing introduces one. */
  #sessionOrIntro(caller: Caller, intro: SessionIntro | undefined, now: number, hint?: string): Outcome<SessionMeta> {
    if (this.#meta) return ok(this.#meta);
    if (!intro) return sessionNotFound(caller.sessionId, hint);
    return ok(this.#create(caller, intro, now));
  }

  /** The session when it exists for this caller's tenant; 404 otherwise (the same answer as for no session). */
  #own(caller: Caller): Outcome<SessionMeta> {
    const meta = this.#meta;
    if (!meta || meta.tenant !== caller.tenant) return sessionNotFound(caller.sessionId);
    return ok(meta);
  }

  /**
   * Destroys everything captured: spans its traces parked elsewhere, audio bytes and uploads, then every
   * table but the meta row. The tombstone is saved before and after, so a crash midway leaves a session
   * that refuses writes and finishes the destroy on the next abort.
   */
  async #destroy(now: number): Promise<void> {
    this.#save(consent.destroyBegun(this.#meta!, now));
    await this.#forgetParkedSpans(this.#meta!);
    await this.#audio.destroy(true);
    await this.#deleteWrittenObjects();
    await wipeCapturedTables(this.ctx.storage);
    this.#forgetCounts();
    this.#save({ ...this.#meta!, destroyComplete: true });
  }

  /**
   * Every object a session can have written, whatever its meta says (issue 29 item 3): a crash between a PUT
   * and the save that notes it leaves an object the meta does not name. Deleting a missing key is a no-op.
   */
  async #deleteWrittenObjects(): Promise<void> {
    const { tenant, sessionId } = this.#meta!;
    await audioObjectStore(this.env).delete(audioKey(tenant, sessionId));
    await this.env.RECORDINGS.delete([recordKey(tenant, sessionId), peaksKey(tenant, sessionId)]);
  }

  /** Close (or idle timeout) without consent while everything was deferred: destroy, state "discarded". */
  async #discard(now: number, reason: string): Promise<void> {
    this.#save(consent.markDiscarded(this.#meta!, reason));
    await this.#destroy(now);
  }

  /** Drops the audio only: marked first, so a crash leaves a session that refuses audio and retries the drop. */
  async #dropAudio(now: number, reason: "abort-recording" | "no-consent"): Promise<void> {
    this.#save(consent.markAudioDropped(this.#meta!, now, reason));
    await this.#audio.destroy();
  }

  #missing(meta: SessionMeta): number[] {
    const upTo = meta.close ? Math.max(meta.close.lastSeq, meta.maxSeq) : meta.maxSeq;
    return this.#fragments.missing(meta.ackedThrough, upTo);
  }

  #ack(meta: SessionMeta): FragmentAck {
    return { ackedThrough: meta.ackedThrough, missing: this.#missing(meta), state: meta.state };
  }

  #status(meta: SessionMeta): SessionStatus {
    return toStatus(meta, meta.state === "open" || meta.state === "closing" ? this.#missing(meta) : []);
  }

  async #finalizeIfComplete(now: number): Promise<void> {
    const meta = this.#meta;
    if (
      meta?.state === "closing" &&
      meta.close &&
      meta.ackedThrough >= meta.close.lastSeq &&
      this.#audio.complete(meta.close.lastAudioSeq)
    ) {
      await this.#finalize(now);
    }
  }

  /**
   * Single flight: a request or the alarm that asks while a finalization is in progress joins it.
   * Never throws: a failure is recorded in `meta.finalization` (status shows it) and retried from the
   * alarm with backoff, so a session never stays closing without a next attempt.
   */
  #finalize(now: number): Promise<void> {
    this.#finalizing ??= this.#finalizeOnce(now)
      .catch((error: unknown) => this.#finalizeFailed(error))
      .finally(() => (this.#finalizing = undefined));
    return this.#finalizing;
  }

  #finalizeFailed(error: unknown): void {
    const meta = this.#meta;
    if (meta?.state !== "closing") return;
    const attempts = (meta.finalization?.attempts ?? 0) + 1;
    const delay = Math.min(FINALIZE_RETRY_MAX_MS, FINALIZE_RETRY_BASE_MS * 2 ** (attempts - 1));
    const lastError = errorText(error);
    console.error("finalization failed; retrying", meta.sessionId, lastError);
    this.#save({ ...meta, finalization: { attempts, lastError, nextAttemptAt: Date.now() + delay } });
  }

  async #finalizeOnce(now: number): Promise<void> {
    let meta = this.#meta;
    if (meta?.state !== "closing" || !meta.close) return;
    const meaning = consent.closeMeaning(meta);
    if (meaning === "discard") return this.#discard(now, meta.close.reason);
    if (meaning === "drop-audio") await this.#dropAudio(now, "no-consent");
    const key = recordKey(meta.tenant, meta.sessionId);
    const audio = await this.#audio.finalize(this.#meta!);
    meta = this.#meta!;
    if (meta.state !== "closing" || !meta.close) return;
    let record = buildRecord({
      meta,
      fragments: this.#fragments.all(),
      finalizedAt: now,
      endedReason: meta.close.reason,
      lastSeq: Math.max(meta.close.lastSeq, meta.maxSeq),
      missing: this.#missing(meta),
      audio,
      traceId: this.#spans.traceId(),
    });
    // A retried finalization keeps the first record, except when the audio was dropped since it was written.
    await this.#writeRecord(key, record, meta.audioDropped !== undefined);
    // After every await, a session destroyed meanwhile (abort, discard, erasure) deletes what it just wrote;
    // an abort-recording meanwhile rewrites the record without its audio (issue 29 items 1 and 2).
    for (;;) {
      meta = this.#meta;
      if (isDestroyed(meta)) return void (await this.env.RECORDINGS.delete(key));
      if (meta?.state !== "closing" || !meta.close) return;
      if (!meta.audioDropped || record.audio === null) break;
      record = withoutAudio(record, meta.audioDropped.reason);
      await this.#writeRecord(key, record, true);
    }
    this.#save({
      ...meta,
      state: "finalized",
      finalizedAt: now,
      endedReason: meta.close.reason,
      recordKey: key,
      forward: { status: this.#config.cekuraHost ? "pending" : "skipped", attempts: 0 },
    });
    // The record holds every event now; the rows were only needed to build it.
    this.#fragments.deleteAll();
  }

  #writeRecord(key: string, record: SessionRecord, replace: boolean): Promise<void> {
    const summary = { durationSeconds: record.durationSeconds };
    return writeRecord(this.env.RECORDINGS, key, JSON.stringify(record), summary, { replace });
  }

  async #scheduleAlarm(): Promise<void> {
    const meta = this.#meta;
    if (!meta) return;
    let at: number | undefined;
    if (meta.state === "open")
      at = Math.min(
        meta.lastActivityAt + idleTimeoutOf(meta.mode, this.#config),
        meta.createdAt + SESSION_CAPS.openSeconds * 1000,
      );
    else if (meta.state === "closing" && meta.close) at = meta.finalization?.nextAttemptAt ?? meta.close.deadline;
    const spansDue = this.#spans.dueAt(meta);
    if (spansDue !== undefined) at = at === undefined ? spansDue : Math.min(at, spansDue);
    const due = forwardDueAt(meta);
    if (due !== undefined) at = at === undefined ? due : Math.min(at, due);
    const expires = this.#privacy.retentionDueAt(meta);
    if (expires !== undefined) at = at === undefined ? expires : Math.min(at, expires);
    // Each setAlarm() is a billed row write: an alarm already set earlier (and still ahead) is kept, and
    // alarm() re-arms for the later time when it fires (it re-checks every condition).
    const current = await this.ctx.storage.getAlarm();
    if (at === undefined) {
      if (current !== null) await this.ctx.storage.deleteAlarm();
    } else if (current === null || current <= Date.now() || at < current) {
      await this.ctx.storage.setAlarm(at);
    }
  }

  /** After a wipe dropped the stores' tables: what they keep in memory about their rows is read again. */
  #forgetCounts(): void {
    this.#fragments.forget();
    this.#spans.forget();
  }

  #save(meta: SessionMeta): void {
    const was = this.#meta?.state;
    this.#meta = meta;
    this.#metaStore.save(meta);
    this.#storedActivityAt = meta.lastActivityAt;
    this.#afterSave(was, meta);
  }

  /** Leaving open/closing frees the tenant's open-session slot; an abort's or discard's tombstone arms its expiry. */
  #afterSave(was: SessionMeta["state"] | undefined, meta: SessionMeta): void {
    if (this.#privacy.freesSlot(was, meta.state)) {
      this.ctx.waitUntil(releaseInTenantIndex(this.env, meta.tenant, meta.sessionId, Date.now()));
    }
    const expires = this.#privacy.tombstoneExpiry(meta);
    if (expires !== undefined) this.ctx.waitUntil(this.#armNoLaterThan(expires));
  }

  async #armNoLaterThan(at: number): Promise<void> {
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > at) await this.ctx.storage.setAlarm(at);
  }

  /** POST /v1/traces: this session's spans (see spans.ts); forwarding runs from the alarm. */
  async traces(
    caller: Caller,
    items: SpanItem[],
    conversationTraceId: string | undefined,
  ): Promise<Outcome<SpanReceipt>> {
    if (this.#meta?.state === "erased")
      return ok({
        accepted: 0,
        rejected: items.length,
        reason: `session "${caller.sessionId}" was erased; its spans are not kept`,
      });
    if (!this.#meta) return ok(await this.#holdBeforeContact(caller, items, conversationTraceId));
    const receipt = this.#spans.receive(
      this.#meta,
      this.#privacy.redaction.spans(items),
      conversationTraceId,
      caller.apiKey,
      Date.now(),
    );
    await this.#scheduleAlarm();
    return ok(receipt);
  }

  /**
   * Spans of a session that does not exist yet (they may leave the SDK before its first fragment): held,
   * at most PRE_CONTACT_SPANS of them, without the caller's key (the session's creation or close brings it),
   * and the object ends PRE_CONTACT_TTL_MS later unless a session is created by then (issue 29 item 4).
   */
  async #holdBeforeContact(
    caller: Caller,
    items: SpanItem[],
    conversationTraceId: string | undefined,
  ): Promise<SpanReceipt> {
    const bytes = items.reduce((sum, item) => sum + itemBytes(item), 0);
    if (this.#spans.count() + items.length > PRE_CONTACT_SPANS || this.#spans.bytes() + bytes > PRE_CONTACT_SPAN_BYTES)
      return {
        accepted: 0,
        rejected: items.length,
        reason: `session "${caller.sessionId}" does not exist yet: it holds at most ${PRE_CONTACT_SPANS} spans and ${PRE_CONTACT_SPAN_BYTES} bytes of spans until its first fragment, audio chunk or consent call`,
      };
    const receipt = this.#spans.receive(
      undefined,
      this.#privacy.redaction.spans(items),
      conversationTraceId,
      undefined,
      Date.now(),
    );
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + PRE_CONTACT_TTL_MS);
    return receipt;
  }

  /** GET /v1/traces/:id: the spans this Worker holds for the session, as one OTLP request. */
  async storedSpans(caller: Caller): Promise<Outcome<{ items: ReturnType<SpanStore["all"]>; traceId: string | null }>> {
    if (this.#meta && this.#meta.tenant !== caller.tenant) return sessionNotFound(caller.sessionId);
    return ok({ items: this.#spans.all(), traceId: this.#spans.traceId() });
  }

  /** The inspector's waterfall: compact span rows, capped (see SpanStore.waterfallTexts). */
  async waterfallSpans(caller: Caller): Promise<Outcome<string[]>> {
    const found = this.#own(caller);
    return found.ok ? ok(this.#spans.waterfallTexts()) : found;
  }

  /** DELETE /v1/sessions/:id: erases everything, keeps a tombstone (worker/privacy/erase.ts). Idempotent. */
  async erase(caller: Caller): Promise<Outcome<ErasureReceipt>> {
    if (this.#meta && this.#meta.tenant !== caller.tenant) return sessionNotFound(caller.sessionId);
    return ok(await this.#erase(caller, Date.now(), "request"));
  }

  /**
   * Erases the session (rules and storage in worker/privacy/erase.ts): the erasing meta is saved first, so
   * a retry finishes an erasure that failed midway; then audio, record, spans and every row go, and a
   * minimal tombstone stays. Idempotent.
   */
  async #erase(
    caller: { tenant: string; sessionId: string },
    now: number,
    reason: ErasureReceipt["reason"],
  ): Promise<ErasureReceipt> {
    const before = erasedBefore(this.#meta);
    if (before) return before;
    const facts = erasureFacts(this.ctx.storage.sql, this.#spansStepping > 0);
    const erasing = markErasing(this.#meta, caller, now, reason, facts);
    this.#save(erasing);
    await this.#audio.destroy(true);
    await eraseStoredData(this.ctx.storage, this.env, this.#config, erasing);
    this.#forgetCounts();
    // Awaited (it never throws): the answer promises the id is gone from the inspector's list too.
    await removeFromTenantIndex(this.env, erasing.tenant, erasing.sessionId);
    const tombstone = erasedTombstone(erasing, now);
    this.#save(tombstone);
    const expires = this.#privacy.retentionDueAt(tombstone);
    if (expires !== undefined) await this.ctx.storage.setAlarm(expires);
    return receiptOf(tombstone);
  }

  /**
   * Before an abort or a discard destroys the session: spans of its traces that still wait in a trace's
   * own object are deleted there too. Done before the wipe, so a failure here leaves the destroy
   * unfinished with the traces still known, and the retried abort finishes it.
   */
  async #forgetParkedSpans(meta: SessionMeta): Promise<void> {
    const traceIds = this.#spans.traceIds();
    await Promise.all(
      traceIds.map((traceId) => traceLinkStub(this.env, this.#config, meta.tenant, traceId).forget(meta.sessionId)),
    );
  }

  /** The record's key once finalized (for the record route). */
  async recordLocation(caller: Caller): Promise<Outcome<{ key: string }>> {
    const found = this.#own(caller);
    if (!found.ok) return found;
    const meta = found.value;
    if (meta.state !== "finalized" || !meta.recordKey) {
      return fail(
        409,
        "record_not_ready",
        `session "${meta.sessionId}" is ${meta.state}; its record exists once it is finalized`,
      );
    }
    return ok({ key: meta.recordKey });
  }
}
