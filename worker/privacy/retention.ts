import type { Env } from "../env.ts";
import type { SessionMeta } from "../session/meta.ts";

const DAY_MS = 24 * 60 * 60 * 1000;

/** RETENTION_DAYS as ms: unset or empty = keep forever. Fractions of a day are allowed. A bad value fails loudly. */
export function retentionMs(env: Env): number | undefined {
  const raw = env.RETENTION_DAYS?.trim();
  if (!raw) return undefined;
  const days = Number(raw);
  if (!Number.isFinite(days) || days <= 0)
    throw new Error(`RETENTION_DAYS must be a positive number of days (or empty to keep forever), got "${raw}"`);
  return Math.max(1, Math.round(days * DAY_MS));
}

/**
 * When a session's stored data expires: a finalized record (and its audio, spans...) N days after
 * finalization; a tombstone (aborted, discarded, erased) N days after it was made. Open sessions never.
 */
export function retentionDueAt(meta: SessionMeta | undefined, ms: number | undefined): number | undefined {
  if (!meta || ms === undefined) return undefined;
  switch (meta.state) {
    case "finalized":
      return meta.finalizedAt === undefined ? undefined : meta.finalizedAt + ms;
    case "erased":
      return meta.erasure?.complete && meta.erasedAt !== undefined ? meta.erasedAt + ms : undefined;
    case "aborted":
    case "discarded":
      return meta.destroyComplete && meta.destroyedAt !== undefined ? meta.destroyedAt + ms : undefined;
    default:
      return undefined;
  }
}
