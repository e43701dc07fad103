import { DurableObject } from "cloudflare:workers";
import type { CloseRequest, Fragment, FragmentAck, SessionControl } from "../../sdk/protocol.ts";
import { readConfig, type WorkerConfig } from "../config.ts";
import type { Env } from "../env.ts";
import { fail, ok, type Outcome } from "../errors.ts";
import { recordKey, writeRecordOnce } from "../storage/records.ts";
import { audioObjectStore } from "../storage/object-store.ts";
import { AudioStore, readPartBytes, refuseIntroMismatch, type AudioAck, type AudioChunk, type AudioIntro } from "./audio-store.ts";
import { abortRecording, abortSession, discardSession, discardsOnClose, grantConsent, prepareFinalize, type ConsentHost } from "./consent.ts";
import { FragmentStore } from "./fragments.ts";
import { MetaStore, newSessionMeta, type SessionMeta } from "./meta.ts";
import { Outbox } from "./outbox.ts";
import { SpanStore, type SpanReceipt } from "./spans.ts";
import { traceLinkStub } from "./trace-link-do.ts";
import type { SpanItem } from "../forward/otel-wire.ts";
import { buildRecord } from "./record.ts";
import { registerInTenantIndex } from "../inspect/tenant-index.ts";
import { toStatus, type SessionStatus } from "./status.ts";

/** Who is asking: set by the Worker from the authenticated request. */
export interface Caller {
  tenant: string;
  sessionId: string;
  /** The caller's key, kept by the outbox to forward with (see outbox.ts); never logged or shown. */
  apiKey?: string;
}

/** How a session is first seen: by a fragment, or by a close with nothing before it. */
interface SessionIntro {
  agentId: number;
  mode: SessionMeta["mode"];
  deferUpload?: SessionMeta["deferUpload"];
  callStartedAt?: string;
}

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
  /** Consent/abort logic lives in consent.ts; this is what it may touch. */
  readonly #consentHost: ConsentHost;
  /** Audio chunks and the WAV's multipart upload live in audio-store.ts. */
  readonly #audio: AudioStore;
  /** OTel spans: held, forwarded and deleted by spans.ts. */
  readonly #spans: SpanStore;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#config = readConfig(env);
    this.#metaStore = new MetaStore(ctx.storage.sql);
    this.#fragments = new FragmentStore(ctx.storage.sql);
    this.#meta = this.#metaStore.load();
    this.#outbox = new Outbox(ctx.storage, env, this.#config);
    this.#audio = new AudioStore(ctx.storage.sql, audioObjectStore(env), readPartBytes(env));
    this.#spans = new SpanStore(ctx.storage.sql, env, this.#config.otelEndpoint);
    this.#consentHost = {
      storage: ctx.storage,
      meta: () => this.#meta,
      create: (caller, intro, now) => this.#ensureSession(caller, intro, now),
      save: (meta) => this.#save(meta),
      status: (meta) => this.#status(meta),
      audio: () => this.#audio,
    };
  }

  /** PUT /audio/:chunkSeq: see audio-store.ts. Headers may introduce the session (first contact). */
  async audio(caller: Caller, intro: AudioIntro | undefined, chunk: AudioChunk): Promise<Outcome<AudioAck>> {
    const now = Date.now();
    if (!this.#meta && !intro) {
      return fail(404, "session_not_found", `no session "${caller.sessionId}" exists for this API key; send X-Cekura-Agent-Id and X-Cekura-Mode to make an audio chunk the first contact`);
    }
    const meta = this.#meta ?? this.#ensureSession(caller, intro!, now);
    const refused = this.#refuseWrites(meta) ?? refuseIntroMismatch(meta, intro);
    if (refused) return refused;
    const ack = await this.#audio.accept(meta, chunk);
    if (!ack.ok) return ack;
    meta.lastActivityAt = now;
    this.#save(meta);
    if (meta.state === "closing") await this.#finalizeIfComplete(meta, now);
    await this.#scheduleAlarm();
    return ack;
  }

  /** POST /consent (startAudioUpload): see consent.ts. */
  async consent(caller: Caller, request: SessionControl): Promise<Outcome<SessionStatus>> {
    const outcome = await grantConsent(this.#consentHost, caller, request, Date.now());
    // Spans held while deferred may leave now, not at the next upload.
    if (outcome.ok) await this.#scheduleAlarm();
    return outcome;
  }

  /** POST /abort: destroys everything captured, keeps a tombstone. */
  async abort(caller: Caller, request: SessionControl): Promise<Outcome<SessionStatus>> {
    if (this.#meta && this.#meta.tenant === caller.tenant && this.#meta.state !== "finalized") await this.#forgetParkedSpans(this.#meta);
    return abortSession(this.#consentHost, caller, request, Date.now());
  }

  /** POST /abort-recording: drops the audio only. */
  async abortRecording(caller: Caller, request: SessionControl): Promise<Outcome<SessionStatus>> {
    return abortRecording(this.#consentHost, caller, request, Date.now());
  }

  async fragment(caller: Caller, fragment: Fragment, bodyHash: string): Promise<Outcome<FragmentAck>> {
    const now = Date.now();
    const meta = this.#ensureSession(caller, fragment, now);
    const refused = this.#refuseWrites(meta) ?? this.#refuseMismatch(meta, fragment);
    if (refused) return refused;
    this.#outbox.rememberKey(caller.apiKey);

    const existing = this.#fragments.hashOf(fragment.seq);
    if (existing !== undefined) {
      if (existing !== bodyHash) {
        return fail(409, "fragment_conflict", `seq ${fragment.seq} was already received with a different body; a repeated seq must repeat the same events`);
      }
      return ok(this.#ack(meta));
    }
    if (meta.state === "closing" && meta.close && fragment.seq > meta.close.lastSeq) {
      return fail(409, "session_closing", `the session was closed at lastSeq ${meta.close.lastSeq}; seq ${fragment.seq} comes after it`);
    }

    this.#fragments.insert(fragment.seq, bodyHash, fragment.events, now);
    meta.fragmentCount++;
    meta.eventCount += fragment.events.length;
    meta.maxSeq = Math.max(meta.maxSeq, fragment.seq);
    meta.ackedThrough = this.#fragments.advance(meta.ackedThrough);
    meta.lastActivityAt = now;
    this.#save(meta);

    if (meta.state === "closing") await this.#finalizeIfComplete(meta, now);
    await this.#scheduleAlarm();
    return ok(this.#ack(meta));
  }

  async close(caller: Caller, request: CloseRequest): Promise<Outcome<SessionStatus>> {
    const now = Date.now();
    let meta = this.#meta;
    if (!meta) {
      if (request.agentId === undefined || request.mode === undefined) {
        return fail(404, "session_not_found", `no session "${caller.sessionId}" exists for this API key`);
      }
      meta = this.#ensureSession(caller, { agentId: request.agentId, mode: request.mode, deferUpload: request.deferUpload }, now);
    }
    if (meta.state === "closing" || meta.state === "finalized" || meta.state === "discarded") return ok(this.#status(meta));
    const refused = this.#refuseWrites(meta);
    if (refused) return refused;
    if (discardsOnClose(meta)) await this.#forgetParkedSpans(meta);
    if (discardsOnClose(meta)) return ok(this.#status(await discardSession(this.#consentHost, meta, now, request.reason)));
    this.#outbox.rememberKey(caller.apiKey);

    meta.state = "closing";
    meta.close = {
      requestedAt: now,
      lastSeq: request.lastSeq,
      lastAudioSeq: request.lastAudioSeq ?? -1,
      reason: request.reason,
      deadline: now + this.#config.closeGraceMs,
    };
    meta.lastActivityAt = now;
    this.#save(meta);
    await this.#finalizeIfComplete(meta, now);
    await this.#scheduleAlarm();
    return ok(this.#status(meta));
  }

  async status(caller: Caller): Promise<Outcome<SessionStatus>> {
    const meta = this.#meta;
    if (!meta || meta.tenant !== caller.tenant) return fail(404, "session_not_found", `no session "${caller.sessionId}" exists for this API key`);
    return ok(this.#status(meta));
  }

  override async alarm(): Promise<void> {
    const meta = this.#meta;
    if (!meta) return;
    const now = Date.now();
    if (meta.state === "open" && now >= meta.lastActivityAt + this.#config.idleTimeoutMs) {
      meta.state = "closing";
      meta.close = { requestedAt: meta.lastActivityAt, lastSeq: meta.maxSeq, lastAudioSeq: -1, reason: "idle-timeout", deadline: now };
      this.#save(meta);
    }
    if (meta.state === "closing" && meta.close) {
      if (now >= meta.close.deadline) await this.#finalize(meta, now);
      else await this.#finalizeIfComplete(meta, now);
    }
    await this.#outbox.step(meta, Date.now(), { save: (m) => this.#save(m), schedule: () => this.#scheduleAlarm() });
    await this.#spans.step(this.#meta, Date.now());
    await this.#scheduleAlarm();
  }

  /** Operator re-queue of a dead-lettered forward (same tenant): see outbox.ts. */
  async requeueForward(caller: Caller): Promise<Outcome<SessionStatus>> {
    const meta = this.#meta;
    if (!meta || meta.tenant !== caller.tenant) return fail(404, "session_not_found", `no session "${caller.sessionId}" exists for this API key`);
    const refused = this.#outbox.requeue(meta, Date.now(), caller.apiKey);
    if (refused) return refused;
    this.#save(meta);
    await this.#scheduleAlarm();
    return ok(this.#status(meta));
  }

  #ensureSession(caller: Caller, intro: SessionIntro, now: number): SessionMeta {
    if (this.#meta) return this.#meta;
    const deferUpload = intro.mode === "observe" ? (intro.deferUpload ?? false) : false;
    const meta = newSessionMeta(
      {
        sessionId: caller.sessionId,
        tenant: caller.tenant,
        agentId: intro.agentId,
        mode: intro.mode,
        deferUpload,
        state: "open",
        consent: deferUpload === false ? "granted" : "deferred",
        callStartedAt: intro.callStartedAt ? Date.parse(intro.callStartedAt) : undefined,
      },
      now,
    );
    this.#save(meta);
    this.ctx.waitUntil(registerInTenantIndex(this.env, meta.tenant, meta.sessionId, now));
    return meta;
  }

  #refuseWrites(meta: SessionMeta): Outcome<never> | undefined {
    switch (meta.state) {
      case "finalized":
        return fail(409, "session_finalized", `session "${meta.sessionId}" was finalized at ${new Date(meta.finalizedAt ?? 0).toISOString()}; its record is immutable and accepts no more writes`);
      case "aborted":
        return fail(409, "session_aborted", `session "${meta.sessionId}" was aborted; everything captured was deleted and it accepts nothing more`);
      case "discarded":
        return fail(409, "session_discarded", `session "${meta.sessionId}" was closed without consent and discarded; it accepts nothing more`);
      default:
        return undefined;
    }
  }

  #refuseMismatch(meta: SessionMeta, fragment: Fragment): Outcome<never> | undefined {
    if (fragment.mode !== meta.mode) {
      return fail(409, "session_conflict", `session "${meta.sessionId}" is a ${meta.mode} session; a fragment cannot switch it to ${fragment.mode}`);
    }
    if (fragment.agentId !== meta.agentId) {
      return fail(409, "session_conflict", `session "${meta.sessionId}" belongs to agent ${meta.agentId}, not ${fragment.agentId}`);
    }
    return undefined;
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

  async #finalizeIfComplete(meta: SessionMeta, now: number): Promise<void> {
    if (meta.state === "closing" && meta.close && meta.ackedThrough >= meta.close.lastSeq && this.#audio.complete(meta.close.lastAudioSeq)) {
      await this.#finalize(meta, now);
    }
  }

  async #finalize(meta: SessionMeta, now: number): Promise<void> {
    if (meta.state !== "closing" || !meta.close) return;
    if (discardsOnClose(meta)) await this.#forgetParkedSpans(meta);
    if (!(await prepareFinalize(this.#consentHost, meta, now))) return void (await discardSession(this.#consentHost, meta, now, meta.close.reason));
    const key = recordKey(meta.tenant, meta.sessionId);
    const audio = await this.#audio.finalize(meta);
    if (meta.state !== "closing") return;
    const record = buildRecord({
      meta,
      fragments: this.#fragments.all(),
      finalizedAt: now,
      endedReason: meta.close.reason,
      lastSeq: Math.max(meta.close.lastSeq, meta.maxSeq),
      missing: this.#missing(meta),
      audio,
      traceId: this.#spans.traceId(),
    });
    await writeRecordOnce(this.env.RECORDINGS, key, JSON.stringify(record));
    // An abort that arrived while the record was being written wins: it is never kept (consent.ts).
    if (meta.state !== "closing") return void (await this.env.RECORDINGS.delete(key));
    meta.state = "finalized";
    meta.finalizedAt = now;
    meta.endedReason = meta.close.reason;
    meta.recordKey = key;
    meta.forward = { status: this.#config.cekuraHost ? "pending" : "skipped", attempts: 0 };
    this.#save(meta);
    // The record holds every event now; the rows were only needed to build it.
    this.#fragments.deleteAll();
  }

  async #scheduleAlarm(): Promise<void> {
    const meta = this.#meta;
    if (!meta) return;
    let at: number | undefined;
    if (meta.state === "open") at = meta.lastActivityAt + this.#config.idleTimeoutMs;
    else if (meta.state === "closing" && meta.close) at = meta.close.deadline;
    const spansDue = this.#spans.dueAt(meta);
    if (spansDue !== undefined) at = at === undefined ? spansDue : Math.min(at, spansDue);
    const due = this.#outbox.dueAt(meta);
    if (due !== undefined) at = at === undefined ? due : Math.min(at, due);
    if (at === undefined) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(at);
  }

  #save(meta: SessionMeta): void {
    this.#meta = meta;
    this.#metaStore.save(meta);
  }

  /** POST /v1/traces: this session's spans (see spans.ts); forwarding runs from the alarm. */
  async traces(caller: Caller, items: SpanItem[], conversationTraceId: string | undefined): Promise<Outcome<SpanReceipt>> {
    const receipt = this.#spans.receive(this.#meta, items, conversationTraceId, caller.apiKey, Date.now());
    await this.#scheduleAlarm();
    return ok(receipt);
  }

  /** GET /v1/traces/:id: the spans this Worker holds for the session, as one OTLP request. */
  async storedSpans(caller: Caller): Promise<Outcome<{ items: ReturnType<SpanStore["all"]>; traceId: string | null }>> {
    if (this.#meta && this.#meta.tenant !== caller.tenant) return fail(404, "session_not_found", `no session "${caller.sessionId}" exists for this API key`);
    return ok({ items: this.#spans.all(), traceId: this.#spans.traceId() });
  }

  /** The inspector's waterfall: compact span rows, capped (see SpanStore.waterfallTexts). */
  async waterfallSpans(caller: Caller): Promise<Outcome<string[]>> {
    if (!this.#meta || this.#meta.tenant !== caller.tenant) return fail(404, "session_not_found", `no session "${caller.sessionId}" exists for this API key`);
    return ok(this.#spans.waterfallTexts());
  }

  /**
   * Before an abort or a discard destroys the session: spans of its traces that still wait in a trace's
   * own object are deleted there too. Done first, so a failure here fails the abort before anything is
   * gone and the retried abort still knows the traces.
   */
  async #forgetParkedSpans(meta: SessionMeta): Promise<void> {
    const traceIds = this.#spans.traceIds();
    await Promise.all(traceIds.map((traceId) => traceLinkStub(this.env, this.#config, meta.tenant, traceId).forget(meta.sessionId)));
  }

  /** The record's key once finalized (for the record route). */
  async recordLocation(caller: Caller): Promise<Outcome<{ key: string }>> {
    const meta = this.#meta;
    if (!meta || meta.tenant !== caller.tenant) return fail(404, "session_not_found", `no session "${caller.sessionId}" exists for this API key`);
    if (meta.state !== "finalized" || !meta.recordKey) {
      return fail(409, "record_not_ready", `session "${meta.sessionId}" is ${meta.state}; its record exists once it is finalized`);
    }
    return ok({ key: meta.recordKey });
  }
}
