/** Everything the call page shows, read through the session's DO (same tenant) and the record in R2. */
import { configOf } from "../config.ts";
import type { Env } from "../env.ts";
import type { SessionRecord } from "../session/record.ts";
import { readRecordSummary, type RecordSummary } from "../storage/records.ts";
import { sessionStub } from "../session/locate.ts";
import type { SessionStatus } from "../session/status.ts";
import type { CallView } from "./call-page.ts";
import { buildWaterfall } from "./waterfall.ts";
import { loadPeaks } from "./peaks.ts";

export function stubOf(env: Env, tenant: string, sessionId: string) {
  return sessionStub(env, configOf(env), tenant, sessionId);
}

/** The session's status, or undefined when the tenant has no such session. */
export async function loadStatus(env: Env, tenant: string, sessionId: string): Promise<SessionStatus | undefined> {
  const outcome = await stubOf(env, tenant, sessionId).status({ tenant, sessionId });
  return outcome.ok ? (outcome.value as SessionStatus) : undefined;
}

export async function loadRecord(env: Env, tenant: string, sessionId: string): Promise<SessionRecord | null> {
  const location = await stubOf(env, tenant, sessionId).recordLocation({ tenant, sessionId });
  if (!location.ok) return null;
  const object = await env.RECORDINGS.get(location.value.key);
  return object ? ((await object.json()) as SessionRecord) : null;
}

/**
 * What the list page shows of a finalized record, from the object's metadata: a list of 50 calls never
 * reads 50 records (each can be many MiB). Records written before the metadata existed show no duration.
 */
export async function loadRecordSummary(env: Env, tenant: string, sessionId: string): Promise<RecordSummary | null> {
  const location = await stubOf(env, tenant, sessionId).recordLocation({ tenant, sessionId });
  return location.ok ? readRecordSummary(env.RECORDINGS, location.value.key) : null;
}

/** The waterfall's compact span rows (capped by the session's DO), or none when they cannot be read. */
async function loadSpanTexts(env: Env, tenant: string, sessionId: string): Promise<string[]> {
  try {
    const outcome = await stubOf(env, tenant, sessionId).waterfallSpans({ tenant, sessionId });
    return outcome.ok ? outcome.value : [];
  } catch {
    return [];
  }
}

export async function loadCall(env: Env, tenant: string, sessionId: string): Promise<CallView | undefined> {
  const status = await loadStatus(env, tenant, sessionId);
  if (!status) return undefined;
  const [record, spanTexts] = await Promise.all([
    status.state === "finalized" ? loadRecord(env, tenant, sessionId) : Promise.resolve(null),
    loadSpanTexts(env, tenant, sessionId),
  ]);
  let waveform: CallView["waveform"];
  if (record?.audio) {
    // A waveform that cannot be drawn leaves the page without it; the player still works.
    waveform = await loadPeaks(env, tenant, sessionId, record.audio).catch((error) => {
      console.error("inspector: waveform peaks failed", error instanceof Error ? error.message : String(error));
      return undefined;
    });
  }
  return {
    status,
    record,
    spans: buildWaterfall(spanTexts),
    waveform,
    audioUrl: record?.audio ? `/inspect/${encodeURIComponent(sessionId)}/audio.wav` : undefined,
  };
}
