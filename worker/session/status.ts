import type { SessionMeta } from "./meta.ts";

/** What `GET /v1/sessions/:id` answers: state and counts, never content. */
export interface SessionStatus {
  sessionId: string;
  agentId: number;
  mode: SessionMeta["mode"];
  state: SessionMeta["state"];
  consent: SessionMeta["consent"];
  deferUpload: SessionMeta["deferUpload"];
  createdAt: string;
  lastActivityAt: string;
  closeRequestedAt: string | null;
  finalizedAt: string | null;
  endedReason: string | null;
  /** When abort or a close without consent destroyed everything captured (aborted / discarded). */
  destroyedAt: string | null;
  /** Why audio was dropped while the rest was kept ("abort-recording" | "no-consent"), else null. */
  audioDropped: "abort-recording" | "no-consent" | null;
  counts: { fragments: number; events: number; ackedThrough: number; missing: number[] };
  forward: {
    status: SessionMeta["forward"]["status"];
    attempts: number;
    nextAttemptAt: string | null;
    lastError: string | null;
    deliveredAt: string | null;
  };
}

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

export function toStatus(meta: SessionMeta, missing: number[]): SessionStatus {
  return {
    sessionId: meta.sessionId,
    agentId: meta.agentId,
    mode: meta.mode,
    state: meta.state,
    consent: meta.consent,
    deferUpload: meta.deferUpload,
    createdAt: new Date(meta.createdAt).toISOString(),
    lastActivityAt: new Date(meta.lastActivityAt).toISOString(),
    closeRequestedAt: iso(meta.close?.requestedAt),
    finalizedAt: iso(meta.finalizedAt),
    endedReason: meta.endedReason ?? null,
    destroyedAt: iso(meta.destroyedAt),
    audioDropped: meta.audioDropped?.reason ?? null,
    counts: { fragments: meta.fragmentCount, events: meta.eventCount, ackedThrough: meta.ackedThrough, missing },
    forward: {
      status: meta.forward.status,
      attempts: meta.forward.attempts,
      nextAttemptAt: iso(meta.forward.nextAttemptAt),
      lastError: meta.forward.lastError ?? null,
      deliveredAt: iso(meta.forward.deliveredAt),
    },
  };
}
