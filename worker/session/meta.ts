import type { ConsentState, DeferUpload, ForwardStatus, Mode, SdkInfo, SessionState } from "../../sdk/protocol.ts";
import { fail, type Outcome } from "../errors.ts";
import { LazyTables } from "./tables.ts";

/** Who is asking: set by the Worker from the authenticated request. */
export interface Caller {
  tenant: string;
  sessionId: string;
  /** The caller's key, kept by the outbox to forward with (see outbox.ts); never logged or shown. */
  apiKey?: string;
}

/**
 * How a session introduces itself on first contact: a fragment's body, a close or control body, or an
 * audio chunk's X-Cekura-* headers all carry these.
 */
export interface SessionIntro {
  agentId: number;
  mode: Mode;
  deferUpload?: DeferUpload;
  callStartedAt?: string;
  /** The SDK's name, version and runtime, when the first contact says. */
  sdk?: SdkInfo;
}

/** Everything the DO knows about its session besides the fragments themselves. One row, JSON. */
export interface SessionMeta {
  sessionId: string;
  tenant: string;
  agentId: number;
  mode: Mode;
  deferUpload: DeferUpload;
  state: SessionState;
  consent: ConsentState;
  consentGrantedAt?: number;
  /** When abort or a close without consent destroyed everything captured (see consent.ts). */
  destroyedAt?: number;
  /** False while a destroy has begun but not completed (an abort retry finishes it). */
  destroyComplete?: boolean;
  /** Audio was dropped, the rest kept: by abortRecording(), or at finalization without consent (deferUpload "audio"). */
  audioDropped?: { at: number; reason: "abort-recording" | "no-consent" };
  /** When the Worker first heard of the session (epoch ms). */
  createdAt: number;
  /** Call start as the SDK stamped it (epoch ms), when it said. */
  callStartedAt?: number;
  /** The SDK's name, version and runtime, from the first fragment that said. */
  sdk?: SdkInfo;
  lastActivityAt: number;
  /** Every seq 0..ackedThrough has arrived. */
  ackedThrough: number;
  maxSeq: number;
  fragmentCount: number;
  eventCount: number;
  /** Bytes of event JSON held (absent in sessions stored before it was counted). */
  eventBytes?: number;
  close?: { requestedAt: number; lastSeq: number; lastAudioSeq: number; reason: string; deadline: number };
  /** Failed finalization attempts (storage errors), the last error and when the alarm tries again. */
  finalization?: { attempts: number; lastError: string; nextAttemptAt: number };
  finalizedAt?: number;
  endedReason?: string;
  recordKey?: string;
  forward: {
    status: ForwardStatus;
    attempts: number;
    nextAttemptAt?: number;
    lastError?: string;
    deliveredAt?: number;
  };
  /** When the session was erased (DELETE or retention; worker/privacy/erase.ts). */
  erasedAt?: number;
  erasure?: {
    complete: boolean;
    reason: "request" | "retention";
    /** The record or spans may have reached Cekura before the erasure. */
    forwarded: boolean;
    spansForwarded: boolean;
    /** Traces whose own objects (parked spans) are erased too; emptied once done. */
    traceIds: string[];
    recordKey?: string;
  };
}

/** A session's meta as first seen: no fragments, nothing forwarded. Callers set what differs. */
export function newSessionMeta(
  init: Pick<SessionMeta, "sessionId" | "tenant" | "agentId" | "mode" | "deferUpload" | "state" | "consent"> &
    Partial<SessionMeta>,
  now: number,
): SessionMeta {
  return {
    createdAt: now,
    lastActivityAt: now,
    ackedThrough: -1,
    maxSeq: -1,
    fragmentCount: 0,
    eventCount: 0,
    forward: { status: "none", attempts: 0 },
    ...init,
  };
}

/** A new open session as its first contact describes it (consent from deferUpload). */
export function sessionFromIntro(caller: Caller, intro: SessionIntro, now: number): SessionMeta {
  const deferUpload = intro.mode === "observe" ? (intro.deferUpload ?? false) : false;
  return newSessionMeta(
    {
      sessionId: caller.sessionId,
      tenant: caller.tenant,
      agentId: intro.agentId,
      mode: intro.mode,
      deferUpload,
      state: "open",
      consent: deferUpload === false ? "granted" : "deferred",
      callStartedAt: intro.callStartedAt ? Date.parse(intro.callStartedAt) : undefined,
      ...(intro.sdk ? { sdk: intro.sdk } : {}),
    },
    now,
  );
}

/** 409 when a later request names another mode or agent than the session has. */
export function refuseIntroMismatch(
  meta: SessionMeta,
  intro: SessionIntro | undefined,
  what: string,
): Outcome<never> | undefined {
  if (!intro) return undefined;
  if (intro.mode !== meta.mode) {
    return fail(
      409,
      "session_conflict",
      `session "${meta.sessionId}" is a ${meta.mode} session; ${what} cannot switch it to ${intro.mode}`,
    );
  }
  if (intro.agentId !== meta.agentId) {
    return fail(
      409,
      "session_conflict",
      `session "${meta.sessionId}" belongs to agent ${meta.agentId}, not ${intro.agentId}`,
    );
  }
  return undefined;
}

const META_SQL = `CREATE TABLE IF NOT EXISTS session_meta (id INTEGER PRIMARY KEY CHECK (id = 1), json TEXT NOT NULL)`;

export class MetaStore {
  readonly #tables: LazyTables;

  constructor(sql: SqlStorage) {
    this.#tables = new LazyTables(sql, "session_meta", [META_SQL]);
  }

  load(): SessionMeta | undefined {
    const row = this.#tables.rows<{ json: string }>("SELECT json FROM session_meta WHERE id = 1")[0];
    return row ? (JSON.parse(row.json) as SessionMeta) : undefined;
  }

  save(meta: SessionMeta): void {
    this.#tables
      .ensure()
      .exec(
        "INSERT INTO session_meta (id, json) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET json = excluded.json",
        JSON.stringify(meta),
      );
  }
}
