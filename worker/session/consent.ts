import type { SessionControl } from "../../sdk/protocol.ts";
import { fail, ok, type Outcome } from "../errors.ts";
import { newSessionMeta, type Caller, type SessionIntro, type SessionMeta } from "./meta.ts";
import { refuseErased } from "../privacy/session-privacy.ts";

/**
 * Consent, enforced by the Worker, as pure rules over a session's meta. The Durable Object asks these
 * functions what an action means and performs the side effects (saving, destroying, uploading) itself.
 *
 * - deferred (observe + deferUpload): everything is held in the DO; nothing is finalized, written under
 *   a final object key or forwarded while consent is deferred.
 * - grant: consent "granted", the time recorded; the session then finalizes and forwards as usual.
 * - abort (before finalization): everything captured is destroyed; only a tombstone stays.
 * - close or idle timeout while deferUpload is true and consent never came: the same destroy ("discarded").
 * - abortRecording, or finalization while deferUpload is "audio" without consent: audio only is dropped.
 */

/** The session a consent/abort/abortRecording body introduces when it is the first contact. */
export function introOf(request: SessionControl): SessionIntro | undefined {
  if (request.agentId === undefined || request.mode === undefined) return undefined;
  return { ...request, agentId: request.agentId, mode: request.mode };
}

/** 409 for any write once the session is finalized, aborted or discarded. */
export function refuseWrites(meta: SessionMeta): Outcome<never> | undefined {
  switch (meta.state) {
    case "finalized":
      return fail(
        409,
        "session_finalized",
        `session "${meta.sessionId}" was finalized at ${isoOf(meta.finalizedAt)}; its record is immutable and accepts no more writes`,
      );
    case "aborted":
      return fail(
        409,
        "session_aborted",
        `session "${meta.sessionId}" was aborted; everything captured was deleted and it accepts nothing more`,
      );
    case "discarded":
      return fail(
        409,
        "session_discarded",
        `session "${meta.sessionId}" was closed without consent and discarded; it accepts nothing more`,
      );
    case "erased":
      return refuseErased(meta);
    default:
      return undefined;
  }
}

/** POST /consent: the granted meta (unchanged when already granted), or why consent cannot be given. */
export function grant(meta: SessionMeta, now: number): Outcome<SessionMeta> {
  switch (meta.state) {
    case "erased":
      return refuseErased(meta)!;
    case "aborted":
      return fail(
        409,
        "session_aborted",
        `consent arrived after session "${meta.sessionId}" was aborted; everything it captured was already deleted, so there is nothing to release`,
      );
    case "discarded":
      return fail(
        409,
        "session_discarded",
        `consent arrived after session "${meta.sessionId}" was closed without consent; everything it captured was already discarded, so there is nothing to release`,
      );
    case "finalized":
      if (meta.consent === "granted") return ok(meta);
      return fail(
        409,
        "session_finalized",
        `session "${meta.sessionId}" was finalized without consent (its audio was dropped); consent can no longer be given`,
      );
  }
  if (meta.consent !== "deferred") return ok(meta);
  return ok({ ...meta, consent: "granted", consentGrantedAt: now, lastActivityAt: now });
}

/** POST /abort: the aborted meta (a tombstone keeps state, consent, times and counts), or 409 once finalized. */
export function markAborted(meta: SessionMeta): Outcome<SessionMeta> {
  if (meta.state === "finalized") return fail(409, "session_finalized", finalizedDetail(meta));
  if (meta.state === "erased") return refuseErased(meta)!;
  if (meta.state !== "open" && meta.state !== "closing") return ok(meta);
  return ok({ ...meta, state: "aborted", consent: "aborted", endedReason: "aborted" });
}

/** POST /abort of a session never seen: a tombstone, so fragments that arrive later are refused. */
export function tombstone(caller: Caller, request: SessionControl, now: number): SessionMeta {
  return newSessionMeta(
    {
      sessionId: caller.sessionId,
      tenant: caller.tenant,
      agentId: request.agentId ?? 0,
      mode: request.mode ?? "observe",
      deferUpload: request.deferUpload ?? false,
      state: "aborted",
      consent: "aborted",
      endedReason: "aborted",
    },
    now,
  );
}

/** Close (or idle timeout) while deferred with deferUpload true: the discarded meta. */
export function markDiscarded(meta: SessionMeta, reason: string): SessionMeta {
  return { ...meta, state: "discarded", endedReason: reason };
}

/** The meta of a destroy that has begun: saved first, so a crash midway is finished by the next abort. */
export function destroyBegun(meta: SessionMeta, now: number): SessionMeta {
  return { ...meta, destroyedAt: meta.destroyedAt ?? now, destroyComplete: false, lastActivityAt: now };
}

/**
 * POST /abort-recording: "drop" the audio, "nothing" to do (already dropped by this request's kind, or
 * the whole session is already gone), or 409 once finalized.
 */
export function recordingAbort(meta: SessionMeta): Outcome<"drop" | "nothing"> {
  if (meta.state === "erased") return refuseErased(meta)!;
  if (meta.state === "finalized") {
    if (meta.audioDropped?.reason === "abort-recording") return ok("nothing");
    return fail(409, "session_finalized", finalizedDetail(meta));
  }
  if (meta.state === "aborted" || meta.state === "discarded") return ok("nothing");
  return ok("drop");
}

/** The meta with audio marked dropped (first reason wins). Marked before the bytes go, so a crash retries the drop. */
export function markAudioDropped(
  meta: SessionMeta,
  now: number,
  reason: "abort-recording" | "no-consent",
): SessionMeta {
  return meta.audioDropped ? meta : { ...meta, audioDropped: { at: now, reason } };
}

/** What closing means now: build the record, destroy everything, or drop the held audio and then build the record. */
export function closeMeaning(meta: SessionMeta): "finalize" | "discard" | "drop-audio" {
  if (meta.consent !== "deferred") return "finalize";
  if (meta.deferUpload === true) return "discard";
  if (meta.deferUpload === "audio" && !meta.audioDropped) return "drop-audio";
  return "finalize";
}

/** Whether the record and spans may leave the Worker: consent given, or only audio was deferred. */
export function mayForward(meta: SessionMeta): boolean {
  if (meta.state === "aborted" || meta.state === "discarded") return false;
  return meta.consent === "granted" || (meta.deferUpload === "audio" && meta.consent === "deferred");
}

/** Whether audio may go to object storage now (deferred audio stays in the DO). */
export function mayUploadAudio(meta: SessionMeta): boolean {
  return meta.consent === "granted" && !meta.audioDropped && meta.state !== "aborted" && meta.state !== "discarded";
}

/** 409 for audio once the recording was dropped. */
export function refuseAudio(meta: SessionMeta): Outcome<never> | undefined {
  if (!meta.audioDropped) return undefined;
  return fail(
    409,
    "recording_aborted",
    `the recording of session "${meta.sessionId}" was dropped (${meta.audioDropped.reason}); audio is no longer accepted, the rest of the session is`,
  );
}

const isoOf = (ms: number | undefined) => new Date(ms ?? 0).toISOString();

const finalizedDetail = (meta: SessionMeta) =>
  `session "${meta.sessionId}" was finalized at ${isoOf(meta.finalizedAt)}; its record is immutable, so it can no longer be aborted or changed`;
