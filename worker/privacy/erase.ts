import { recordKey } from "../storage/records.ts";
import { audioObjectStore } from "../storage/object-store.ts";
import type { WorkerConfig } from "../config.ts";
import type { Env } from "../env.ts";
import { newSessionMeta, type SessionMeta } from "../session/meta.ts";
import { audioKey } from "../session/audio-store.ts";
import { traceLinkStub } from "../session/trace-link-do.ts";
import { userTables, wipeCapturedTables } from "../session/wipe.ts";

/** The waveform peaks the inspector may cache beside the recording. */
export const peaksKey = (tenant: string, sessionId: string) => `peaks/${tenant}/${sessionId}.json`;

/** A trace's own Durable Object name (kept in step with routes/traces.ts). */

/** What `DELETE /v1/sessions/:id` answers. */
export interface ErasureReceipt {
  sessionId: string;
  state: "erased";
  erasedAt: string;
  /** "request" (DELETE) or "retention" (RETENTION_DAYS). */
  reason: "request" | "retention";
  /** Whether the record (or its spans) may have reached Cekura before the erasure. */
  forwardedToCekura: boolean;
  /** What is left to do elsewhere, in words; null when nothing is. */
  cekura: string | null;
}

function rows<T>(sql: SqlStorage, table: string, query: string): T[] {
  return userTables(sql).includes(table) ? (sql.exec<Record<string, SqlStorageValue>>(query).toArray() as T[]) : [];
}

export function receiptOf(meta: SessionMeta): ErasureReceipt {
  const forwarded = meta.erasure?.forwarded ?? false;
  return {
    sessionId: meta.sessionId,
    state: "erased",
    erasedAt: new Date(meta.erasedAt ?? 0).toISOString(),
    reason: meta.erasure?.reason ?? "request",
    forwardedToCekura: forwarded,
    cekura: forwarded
      ? `this call had already been sent to Cekura (call_id "${meta.sessionId}"${meta.erasure?.spansForwarded ? ", and its spans to the OTel collector" : ""}); this erasure does not reach Cekura: delete Cekura's copy in Cekura`
      : null,
  };
}

/** What erasure reads from storage before it deletes: whether anything left, and which traces hold spans. */
export interface ErasureFacts {
  sentAttempts: number;
  spansForwarded: boolean;
  traceIds: string[];
}

/**
 * `spansInFlight`: a span batch is out to the collector now. It may have arrived, so it counts as forwarded
 * (issue 29 item 11): the receipt may over-report, never under-report.
 */
export function erasureFacts(sql: SqlStorage, spansInFlight = false): ErasureFacts {
  const sentAttempts =
    rows<{ n: number }>(sql, "forward_outbox", "SELECT sent_attempts AS n FROM forward_outbox WHERE id = 1")[0]?.n ?? 0;
  const spansForwarded =
    spansInFlight ||
    (rows<{ n: number }>(sql, "otel_spans", "SELECT COUNT(*) AS n FROM otel_spans WHERE forwarded = 1")[0]?.n ?? 0) > 0;
  const traceIds = [
    ...new Set([
      ...rows<{ t: string }>(sql, "otel_spans", "SELECT DISTINCT trace_id AS t FROM otel_spans").map((r) => r.t),
      ...rows<{ t: string | null }>(sql, "otel_state", "SELECT trace_id AS t FROM otel_state").flatMap((r) =>
        r.t ? [r.t] : [],
      ),
    ]),
  ];
  return { sentAttempts, spansForwarded, traceIds };
}

/** An erasure finished before: nothing is left to do, its receipt is answered again. */
export function erasedBefore(meta: SessionMeta | undefined): ErasureReceipt | undefined {
  return meta?.state === "erased" && meta.erasure?.complete ? receiptOf(meta) : undefined;
}

/**
 * The meta saved before anything is deleted (state "erased", what to delete noted in `erasure`), so a
 * retry finishes an erasure that failed midway. A session never seen becomes one too.
 */
export function markErasing(
  current: SessionMeta | undefined,
  caller: { tenant: string; sessionId: string },
  now: number,
  reason: ErasureReceipt["reason"],
  facts: ErasureFacts,
): SessionMeta {
  const meta =
    current ??
    newSessionMeta(
      {
        sessionId: caller.sessionId,
        tenant: caller.tenant,
        agentId: 0,
        mode: "observe",
        deferUpload: false,
        state: "erased",
        consent: "aborted",
        erasedAt: now,
      },
      now,
    );
  if (meta.state === "erased")
    return {
      ...meta,
      erasure: meta.erasure ?? { complete: false, reason, forwarded: false, spansForwarded: false, traceIds: [] },
    };
  return {
    ...meta,
    state: "erased",
    erasedAt: now,
    erasure: {
      complete: false,
      reason,
      forwarded: meta.forward.status === "delivered" || facts.sentAttempts > 0 || facts.spansForwarded,
      spansForwarded: facts.spansForwarded,
      traceIds: facts.traceIds,
      recordKey: meta.recordKey,
    },
    // No forward may start (or retry) from here on.
    forward: meta.forward.status === "delivered" ? meta.forward : { status: "none", attempts: meta.forward.attempts },
  };
}

/**
 * Deletes what an erasing session stored outside its meta row: the WAV, record and waveform peaks, the
 * spans parked in its traces' own objects, and every other row, key and the alarm of the Durable Object.
 * Audio held in the DO and an in-progress multipart upload are the audio store's to destroy first.
 */
export async function eraseStoredData(
  storage: DurableObjectStorage,
  env: Env,
  config: WorkerConfig,
  meta: SessionMeta,
): Promise<void> {
  const erasure = meta.erasure;
  await audioObjectStore(env).delete(audioKey(meta.tenant, meta.sessionId));
  await env.RECORDINGS.delete([
    erasure?.recordKey ?? recordKey(meta.tenant, meta.sessionId),
    peaksKey(meta.tenant, meta.sessionId),
  ]);
  await Promise.all(
    (erasure?.traceIds ?? []).map((traceId) => traceLinkStub(env, config, meta.tenant, traceId).forget(meta.sessionId)),
  );
  await wipeCapturedTables(storage);
}

/** The minimal tombstone an erasure leaves (ids, times, state "erased"): it refuses every later write. */
export function erasedTombstone(meta: SessionMeta, now: number): SessionMeta {
  const erasure = meta.erasure ?? {
    complete: false,
    reason: "request",
    forwarded: false,
    spansForwarded: false,
    traceIds: [],
  };
  return newSessionMeta(
    {
      sessionId: meta.sessionId,
      tenant: meta.tenant,
      agentId: meta.agentId,
      mode: meta.mode,
      deferUpload: meta.deferUpload,
      state: "erased",
      consent: meta.consent,
      createdAt: meta.createdAt,
      endedReason: "erased",
      erasedAt: meta.erasedAt,
      destroyedAt: meta.erasedAt,
      destroyComplete: true,
      forward:
        meta.forward.status === "delivered"
          ? { status: "delivered", attempts: meta.forward.attempts, deliveredAt: meta.forward.deliveredAt }
          : { status: "none", attempts: 0 },
      erasure: {
        complete: true,
        reason: erasure.reason,
        forwarded: erasure.forwarded,
        spansForwarded: erasure.spansForwarded,
        traceIds: [],
      },
    },
    meta.erasedAt ?? now,
  );
}
