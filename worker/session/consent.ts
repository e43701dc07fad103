import type { SessionControl } from "../../sdk/protocol.ts";
import { fail, ok, type Outcome } from "../errors.ts";
import { newSessionMeta, type SessionMeta } from "./meta.ts";
import type { Caller } from "./session-do.ts";
import type { SessionStatus } from "./status.ts";
import { refuseErased } from "../privacy/session-privacy.ts";

/**
 * Consent, enforced by the Worker (issue 10).
 *
 * - deferred (observe + deferUpload): everything is held in this DO; nothing is finalized, written under
 *   a final object key or forwarded while consent is deferred.
 * - grant: consent "granted", the time recorded; the session then finalizes and forwards as usual.
 * - abort (before finalization): every fragment/span/audio row and every audio byte is destroyed, the
 *   multipart upload aborted; only a tombstone (state, consent, times, counts) stays so status answers.
 * - close or idle timeout while deferUpload is true and consent never came: the same destroy ("discarded").
 * - abortRecording, or finalization while deferUpload is "audio" without consent: audio only is dropped.
 */

/** The part of the audio store consent needs (worker/session/audio-store.ts). */
export interface AudioDestroyer {
  /** Deletes held audio rows and bytes, aborts an in-progress multipart upload, removes staged objects. */
  destroy(): Promise<void>;
}

/** What the Durable Object lends this module: its meta row, storage and audio store. */
export interface ConsentHost {
  readonly storage: DurableObjectStorage;
  meta(): SessionMeta | undefined;
  /** Creates the session as a first fragment would (consent from deferUpload). */
  create(caller: Caller, intro: Required<Pick<SessionControl, "agentId" | "mode">> & SessionControl, now: number): SessionMeta;
  save(meta: SessionMeta): void;
  status(meta: SessionMeta): SessionStatus;
  audio(): AudioDestroyer | undefined;
}

/** Tables that are bookkeeping, not captured content: kept by a destroy. */
const KEPT_TABLES = new Set(["session_meta"]);

const notFound = (sessionId: string) =>
  fail(
    404,
    "session_not_found",
    `no session "${sessionId}" exists for this API key; to make this the first contact, send agentId and mode in the body`,
  );

const finalizedDetail = (meta: SessionMeta) =>
  `session "${meta.sessionId}" was finalized at ${new Date(meta.finalizedAt ?? 0).toISOString()}; its record is immutable, so it can no longer be aborted or changed`;

function introOf(request: SessionControl) {
  if (request.agentId === undefined || request.mode === undefined) return undefined;
  return { ...request, agentId: request.agentId, mode: request.mode };
}

/** True when closing now must discard the session instead of finalizing it. */
export function discardsOnClose(meta: SessionMeta): boolean {
  return meta.consent === "deferred" && meta.deferUpload === true;
}

/** POST /consent (startAudioUpload). Idempotent; 409 once the session was aborted or discarded. */
export function grantConsent(host: ConsentHost, caller: Caller, request: SessionControl, now: number): Outcome<SessionStatus> {
  let meta = host.meta();
  if (!meta) {
    const intro = introOf(request);
    if (!intro) return notFound(caller.sessionId);
    meta = host.create(caller, intro, now);
  }
  switch (meta.state) {
    case "erased":
      return refuseErased(meta)!;
    case "aborted":
      return fail(409, "session_aborted", `consent arrived after session "${meta.sessionId}" was aborted; everything it captured was already deleted, so there is nothing to release`);
    case "discarded":
      return fail(409, "session_discarded", `consent arrived after session "${meta.sessionId}" was closed without consent; everything it captured was already discarded, so there is nothing to release`);
    case "finalized":
      if (meta.consent === "granted") return ok(host.status(meta));
      return fail(409, "session_finalized", `session "${meta.sessionId}" was finalized without consent (its audio was dropped); consent can no longer be given`);
  }
  if (meta.consent === "deferred") {
    meta.consent = "granted";
    meta.consentGrantedAt = now;
    meta.lastActivityAt = now;
    host.save(meta);
  }
  return ok(host.status(meta));
}

/** POST /abort. Idempotent; an unknown session becomes a tombstone so later fragments are refused. */
export async function abortSession(host: ConsentHost, caller: Caller, request: SessionControl, now: number): Promise<Outcome<SessionStatus>> {
  let meta = host.meta();
  if (!meta) {
    meta = tombstoneFor(caller, request, now);
    host.save(meta);
  } else if (meta.state === "finalized") {
    return fail(409, "session_finalized", finalizedDetail(meta));
  } else if (meta.state === "erased") {
    return refuseErased(meta)!;
  } else if (meta.state === "open" || meta.state === "closing") {
    meta.state = "aborted";
    meta.consent = "aborted";
    meta.endedReason = "aborted";
  }
  if (meta.destroyComplete !== true) await destroy(host, meta, now);
  return ok(host.status(meta));
}

/** Close (or idle timeout) while consent is still deferred with deferUpload true: destroy, state "discarded". */
export async function discardSession(host: ConsentHost, meta: SessionMeta, now: number, reason: string): Promise<SessionMeta> {
  meta.state = "discarded";
  meta.endedReason = reason;
  await destroy(host, meta, now);
  return meta;
}

/** POST /abort-recording: drop audio only (held or uploaded parts); the rest is kept and finalized. */
export async function abortRecording(host: ConsentHost, caller: Caller, request: SessionControl, now: number): Promise<Outcome<SessionStatus>> {
  let meta = host.meta();
  if (!meta) {
    const intro = introOf(request);
    if (!intro) return notFound(caller.sessionId);
    meta = host.create(caller, intro, now);
  }
  if (meta.state === "erased") return refuseErased(meta)!;
  if (meta.state === "finalized") {
    if (meta.audioDropped?.reason === "abort-recording") return ok(host.status(meta));
    return fail(409, "session_finalized", finalizedDetail(meta));
  }
  // Aborted or discarded: the audio is gone with everything else; nothing to do.
  if (meta.state === "aborted" || meta.state === "discarded") return ok(host.status(meta));
  await dropAudio(host, meta, now, "abort-recording");
  return ok(host.status(meta));
}

/**
 * Called by the DO just before it builds the record. Returns false when the session must be discarded
 * instead (the caller then calls discardSession); drops held audio when only audio waited for consent.
 */
export async function prepareFinalize(host: ConsentHost, meta: SessionMeta, now: number): Promise<boolean> {
  if (discardsOnClose(meta)) return false;
  if (meta.consent === "deferred" && meta.deferUpload === "audio" && !meta.audioDropped) {
    await dropAudio(host, meta, now, "no-consent");
  }
  return true;
}

/** 409 for audio chunks once the recording was aborted (the audio route calls this). */
export function refuseAudio(meta: SessionMeta): Outcome<never> | undefined {
  if (!meta.audioDropped) return undefined;
  return fail(409, "recording_aborted", `the recording of session "${meta.sessionId}" was dropped (${meta.audioDropped.reason}); audio is no longer accepted, the rest of the session is`);
}

async function dropAudio(host: ConsentHost, meta: SessionMeta, now: number, reason: "abort-recording" | "no-consent"): Promise<void> {
  // Mark first: a crash between the two leaves a session that refuses audio and retries the drop.
  if (!meta.audioDropped) {
    meta.audioDropped = { at: now, reason };
    host.save(meta);
  }
  await host.audio()?.destroy();
}

function tombstoneFor(caller: Caller, request: SessionControl, now: number): SessionMeta {
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

/**
 * Destroys everything captured: audio bytes and uploads first (via the audio store), then every row of
 * every table but the meta row, every key-value entry, and the alarm. The tombstone is saved before and
 * after, so a crash midway leaves a session that refuses writes and finishes the destroy on the next abort.
 */
async function destroy(host: ConsentHost, meta: SessionMeta, now: number): Promise<void> {
  meta.destroyedAt ??= now;
  meta.destroyComplete = false;
  meta.lastActivityAt = now;
  host.save(meta);

  await host.audio()?.destroy();
  const sql = host.storage.sql;
  const tables = sql
    .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'")
    .toArray()
    .map((row) => row.name)
    .filter((name) => !KEPT_TABLES.has(name));
  for (const name of tables) sql.exec(`DELETE FROM "${name.replaceAll('"', '""')}"`);
  const keys = [...(await host.storage.list()).keys()];
  for (let i = 0; i < keys.length; i += 128) await host.storage.delete(keys.slice(i, i + 128));
  await host.storage.deleteAlarm();

  meta.destroyComplete = true;
  host.save(meta);
}
