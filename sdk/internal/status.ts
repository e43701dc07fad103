import type { ConsentState, ForwardStatus, Mode, SessionState } from "../protocol.ts";

/** What the Worker answers for `GET /v1/sessions/:id` and `POST .../close` (the SDK reads it, never builds it). */
export interface SessionStatus {
  sessionId: string;
  agentId: number;
  mode: Mode;
  state: SessionState;
  consent: ConsentState;
  finalizedAt: string | null;
  endedReason: string | null;
  counts: { fragments: number; events: number; ackedThrough: number; missing: number[] };
  forward: { status: ForwardStatus; attempts: number; lastError: string | null };
  [more: string]: unknown;
}
