import { recordKey } from "../storage/records.ts";
import { audioObjectStore } from "../storage/object-store.ts";
import type { WorkerConfig } from "../config.ts";
import type { Env } from "../env.ts";
import { newSessionMeta, type SessionMeta } from "../session/meta.ts";
import { audioKey } from "../session/audio-store.ts";
import { traceLinkStub } from "../session/trace-link-do.ts";
import { removeFromTenantIndex } from "./open-sessions.ts";

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

/** What the session's Durable Object lends erasure. */
export interface ErasureHost {
  readonly storage: DurableObjectStorage;
  readonly env: Env;
  readonly config: WorkerConfig;
  meta(): SessionMeta | undefined;
  save(meta: SessionMeta): void;
  /** Deletes held audio, aborts an in-progress multipart upload and deletes the stored WAV. */
  destroyAudio(): Promise<void>;
  waitUntil(work: Promise<unknown>): void;
}

const KEPT_TABLES = new Set(["session_meta"]);

function userTables(sql: SqlStorage): string[] {
  return sql
    .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'")
    .toArray()
    .map((row) => row.name);
}

function rows<T>(sql: SqlStorage, table: string, query: string): T[] {
  return userTables(sql).includes(table) ? sql.exec<Record<string, SqlStorageValue>>(query).toArray() as T[] : [];
}

/** Every row of every table but the meta row, every key-value entry and the alarm. */
export async function sweepStorage(storage: DurableObjectStorage, keep: ReadonlySet<string> = KEPT_TABLES): Promise<void> {
  const sql = storage.sql;
  for (const name of userTables(sql)) if (!keep.has(name)) sql.exec(`DELETE FROM "${name.replaceAll('"', '""')}"`);
  const keys = [...(await storage.list()).keys()];
  for (let i = 0; i < keys.length; i += 128) await storage.delete(keys.slice(i, i + 128));
  await storage.deleteAlarm();
}

function receiptOf(meta: SessionMeta): ErasureReceipt {
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

/**
 * Erases a session: record, audio (and an in-progress multipart upload), waveform peaks, spans (also
 * those parked in its traces' own objects), every row and key of the Durable Object. Keeps a minimal
 * tombstone (ids, times, state "erased") that refuses later writes. Idempotent; a retry finishes an
 * erasure that failed midway (the tombstone is written first).
 */
export async function eraseSession(
  host: ErasureHost,
  caller: { tenant: string; sessionId: string },
  now: number,
  reason: ErasureReceipt["reason"] = "request",
): Promise<ErasureReceipt> {
  let meta = host.meta();
  if (meta?.state === "erased" && meta.erasure?.complete) return receiptOf(meta);
  const sql = host.storage.sql;
  if (!meta) {
    meta = newSessionMeta(
      { sessionId: caller.sessionId, tenant: caller.tenant, agentId: 0, mode: "observe", deferUpload: false, state: "erased", consent: "aborted", erasedAt: now },
      now,
    );
  }
  if (meta.state !== "erased") {
    const sentAttempts = rows<{ n: number }>(sql, "forward_outbox", "SELECT sent_attempts AS n FROM forward_outbox WHERE id = 1")[0]?.n ?? 0;
    const spansForwarded = (rows<{ n: number }>(sql, "otel_spans", "SELECT COUNT(*) AS n FROM otel_spans WHERE forwarded = 1")[0]?.n ?? 0) > 0;
    const traceIds = [
      ...new Set([
        ...rows<{ t: string }>(sql, "otel_spans", "SELECT DISTINCT trace_id AS t FROM otel_spans").map((r) => r.t),
        ...rows<{ t: string | null }>(sql, "otel_state", "SELECT trace_id AS t FROM otel_state").flatMap((r) => (r.t ? [r.t] : [])),
      ]),
    ];
    meta.erasure = {
      complete: false,
      reason,
      forwarded: meta.forward.status === "delivered" || sentAttempts > 0 || spansForwarded,
      spansForwarded,
      traceIds,
      recordKey: meta.recordKey,
    };
    meta.state = "erased";
    meta.erasedAt = now;
    // No forward may start (or retry) from here on.
    if (meta.forward.status !== "delivered") meta.forward = { status: "none", attempts: meta.forward.attempts };
  }
  meta.erasure ??= { complete: false, reason, forwarded: false, spansForwarded: false, traceIds: [] };
  host.save(meta);

  const { env, config } = host;
  const erasure = meta.erasure;
  await host.destroyAudio();
  const audio = audioObjectStore(env);
  await audio.delete(audioKey(meta.tenant, meta.sessionId));
  await env.RECORDINGS.delete([erasure.recordKey ?? recordKey(meta.tenant, meta.sessionId), peaksKey(meta.tenant, meta.sessionId)]);
  await Promise.all(
    erasure.traceIds.map((traceId) => traceLinkStub(env, config, meta.tenant, traceId).forget(meta.sessionId)),
  );
  await sweepStorage(host.storage);
  host.waitUntil(removeFromTenantIndex(env, meta.tenant, meta.sessionId));

  const tombstone = newSessionMeta(
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
      forward: meta.forward.status === "delivered" ? { status: "delivered", attempts: meta.forward.attempts, deliveredAt: meta.forward.deliveredAt } : { status: "none", attempts: 0 },
      erasure: { complete: true, reason: erasure.reason, forwarded: erasure.forwarded, spansForwarded: erasure.spansForwarded, traceIds: [] },
    },
    meta.erasedAt ?? now,
  );
  host.save(tombstone);
  return receiptOf(tombstone);
}

