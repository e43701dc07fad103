/**
 * What `GET /v1/sessions/:id` (and close, consent, abort) answer: state and counts, never content.
 * Plain types and constant lists, no zod: the SDK reads these without loading a schema library.
 */

export const SESSION_STATES = ["open", "closing", "finalized", "aborted", "discarded", "erased"] as const;
export type SessionState = (typeof SESSION_STATES)[number];

export const CONSENT_STATES = ["granted", "deferred", "aborted"] as const;
export type ConsentState = (typeof CONSENT_STATES)[number];

export const FORWARD_STATUSES = ["none", "pending", "delivered", "dead_letter", "skipped"] as const;
export type ForwardStatus = (typeof FORWARD_STATUSES)[number];

/** Why audio was dropped while the rest of the session was kept. */
export type AudioDropReason = "abort-recording" | "no-consent";

export interface SessionStatus {
  sessionId: string;
  agentId: number;
  mode: "observe" | "track";
  state: SessionState;
  consent: ConsentState;
  deferUpload: boolean | "audio";
  createdAt: string;
  lastActivityAt: string;
  closeRequestedAt: string | null;
  finalizedAt: string | null;
  endedReason: string | null;
  /** When abort or a close without consent destroyed everything captured (aborted / discarded). */
  destroyedAt: string | null;
  /** Why audio was dropped while the rest was kept, else null. */
  audioDropped: AudioDropReason | null;
  counts: { fragments: number; events: number; ackedThrough: number; missing: number[] };
  /** Set once a finalization attempt failed (a storage error): it is retried from the alarm until it succeeds. */
  finalization: { attempts: number; lastError: string; nextAttemptAt: string } | null;
  forward: {
    status: ForwardStatus;
    attempts: number;
    nextAttemptAt: string | null;
    lastError: string | null;
    deliveredAt: string | null;
  };
}
