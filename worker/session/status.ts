import type { SessionStatus } from "../../sdk/wire/status.ts";
import type { SessionMeta } from "./meta.ts";

export type { SessionStatus };

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
    finalization: meta.finalization
      ? {
          attempts: meta.finalization.attempts,
          lastError: meta.finalization.lastError,
          nextAttemptAt: new Date(meta.finalization.nextAttemptAt).toISOString(),
        }
      : null,
    forward: {
      status: meta.forward.status,
      attempts: meta.forward.attempts,
      nextAttemptAt: iso(meta.forward.nextAttemptAt),
      lastError: meta.forward.lastError ?? null,
      deliveredAt: iso(meta.forward.deliveredAt),
    },
  };
}
