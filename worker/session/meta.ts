import type { ConsentState, DeferUpload, ForwardStatus, Mode, SdkInfo, SessionState } from "../../sdk/protocol.ts";

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
  close?: { requestedAt: number; lastSeq: number; lastAudioSeq: number; reason: string; deadline: number };
  finalizedAt?: number;
  endedReason?: string;
  recordKey?: string;
  forward: { status: ForwardStatus; attempts: number; nextAttemptAt?: number; lastError?: string; deliveredAt?: number };
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
  init: Pick<SessionMeta, "sessionId" | "tenant" | "agentId" | "mode" | "deferUpload" | "state" | "consent"> & Partial<SessionMeta>,
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

const META_SQL = `CREATE TABLE IF NOT EXISTS session_meta (id INTEGER PRIMARY KEY CHECK (id = 1), json TEXT NOT NULL)`;

export class MetaStore {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(META_SQL);
  }

  load(): SessionMeta | undefined {
    const row = this.sql.exec<{ json: string }>("SELECT json FROM session_meta WHERE id = 1").toArray()[0];
    return row ? (JSON.parse(row.json) as SessionMeta) : undefined;
  }

  save(meta: SessionMeta): void {
    this.sql.exec(
      "INSERT INTO session_meta (id, json) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET json = excluded.json",
      JSON.stringify(meta),
    );
  }
}
