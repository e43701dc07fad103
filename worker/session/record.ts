import type { LogEvent, SdkInfo, SessionEvent, TurnEvent } from "../../sdk/protocol.ts";
import type { StoredFragment } from "./fragments.ts";
import type { SessionMeta } from "./meta.ts";

export const RECORD_VERSION = 1;

export interface RecordTranscriptEntry {
  role: "user" | "assistant" | "system";
  text: string;
  startedAt: string;
  endedAt: string;
}

export interface RecordToolCall {
  id: string;
  name: string;
  /** JSON string; null when only the result arrived. */
  arguments: string | null;
  calledAt: string | null;
  /** JSON string; null when no result arrived. */
  result: string | null;
  isError: boolean | null;
  resultAt: string | null;
}

export interface RecordAudio {
  key: string;
  sampleRate: number;
  channels: number;
  durationSeconds: number;
  bytes: number;
  /**
   * Stretches no chunk covered (a chunk that never arrived), written as silence of their exact length: the
   * first SESSION_CAPS.listedAudioGaps of them.
   */
  gaps: { startSeconds: number; durationSeconds: number }[];
  /** Present when gaps were left out of `gaps`: how many there were in all, and their total length. */
  gapTotals?: { count: number; durationSeconds: number };
}

/** The immutable, finalized record of one session, written once to object storage. */
export interface SessionRecord {
  version: typeof RECORD_VERSION;
  sessionId: string;
  agentId: number;
  mode: "observe" | "track";
  startedAt: string;
  endedAt: string;
  durationSeconds: number;
  endedReason: string;
  finalizedAt: string;
  traceId: string | null;
  transcript: RecordTranscriptEntry[];
  toolCalls: RecordToolCall[];
  logs: Omit<LogEvent, "kind">[];
  turns: Omit<TurnEvent, "kind">[];
  metadata: Record<string, unknown>;
  /** audioDropped: why `audio` is null although audio was sent ("abort-recording" | "no-consent"), else null. */
  consent: {
    deferUpload: boolean | "audio";
    grantedAt: string | null;
    audioDropped: "abort-recording" | "no-consent" | null;
  };
  audio: RecordAudio | null;
  fragments: { received: number; lastSeq: number; missing: number[] };
  /** The SDK's name, version and runtime, when it said (absent in records written before it did). */
  sdk?: SdkInfo | null;
}

export interface RecordInputs {
  meta: SessionMeta;
  fragments: StoredFragment[];
  finalizedAt: number;
  endedReason: string;
  lastSeq: number;
  missing: number[];
  traceId?: string | null;
  audio?: RecordAudio | null;
}

const iso = (ms: number) => new Date(ms).toISOString();
const ms = (isoTime: string) => Date.parse(isoTime);

/** Sort by a time key, keeping arrival order (seq, then position) for equal times. */
function byTime<T>(items: { item: T; time: number; order: number }[]): T[] {
  return items.sort((a, b) => a.time - b.time || a.order - b.order).map((x) => x.item);
}

/** Builds the record from stored fragments: pure, so it is easy to test and deterministic. */
export function buildRecord(input: RecordInputs): SessionRecord {
  const { meta } = input;
  const events: { event: SessionEvent; order: number }[] = [];
  let order = 0;
  for (const fragment of input.fragments) for (const event of fragment.events) events.push({ event, order: order++ });

  const transcript: { item: RecordTranscriptEntry; time: number; order: number }[] = [];
  const logs: { item: Omit<LogEvent, "kind">; time: number; order: number }[] = [];
  const turns: { item: Omit<TurnEvent, "kind">; time: number; order: number }[] = [];
  const tools = new Map<string, RecordToolCall & { sortTime: number; order: number }>();
  const metadata: Record<string, unknown> = {};
  let earliest = Number.POSITIVE_INFINITY;
  let latest = Number.NEGATIVE_INFINITY;
  const see = (t: number) => {
    if (t < earliest) earliest = t;
    if (t > latest) latest = t;
  };

  for (const { event, order: o } of events) {
    switch (event.kind) {
      case "transcript": {
        const { kind: _k, ...entry } = event;
        transcript.push({ item: entry, time: ms(entry.startedAt), order: o });
        see(ms(entry.startedAt));
        see(ms(entry.endedAt));
        break;
      }
      case "log": {
        const { kind: _k, ...entry } = event;
        logs.push({ item: entry, time: ms(entry.time), order: o });
        see(ms(entry.time));
        break;
      }
      case "turn": {
        const { kind: _k, ...entry } = event;
        turns.push({ item: entry, time: entry.number, order: o });
        see(ms(entry.startedAt));
        if (entry.endedAt) see(ms(entry.endedAt));
        break;
      }
      case "metadata": {
        for (const [key, value] of Object.entries(event.patch)) {
          if (value === null) delete metadata[key];
          else metadata[key] = value;
        }
        break;
      }
      case "tool_call": {
        const existing = tools.get(event.id);
        tools.set(event.id, {
          id: event.id,
          name: event.name,
          arguments: event.arguments,
          calledAt: event.time,
          result: existing?.result ?? null,
          isError: existing?.isError ?? null,
          resultAt: existing?.resultAt ?? null,
          sortTime: ms(event.time),
          order: existing?.order ?? o,
        });
        see(ms(event.time));
        break;
      }
      case "tool_result": {
        const existing = tools.get(event.id);
        tools.set(event.id, {
          id: event.id,
          name: existing?.name ?? event.name ?? "unknown",
          arguments: existing?.arguments ?? null,
          calledAt: existing?.calledAt ?? null,
          result: event.result,
          isError: event.isError,
          resultAt: event.time,
          sortTime: existing?.sortTime ?? ms(event.time),
          order: existing?.order ?? o,
        });
        see(ms(event.time));
        break;
      }
    }
  }

  // One zero for transcript offsets and the WAV: observe()/track() as the SDK stamped it (the recording's first
  // sample). Only a session whose SDK never said falls back to its earliest event or first contact.
  const startMs = meta.callStartedAt ?? Math.min(meta.createdAt, Number.isFinite(earliest) ? earliest : meta.createdAt);
  const endCandidates = [Number.isFinite(latest) ? latest : startMs];
  if (meta.close) endCandidates.push(meta.close.requestedAt);
  else endCandidates.push(meta.lastActivityAt);
  const endMs = Math.max(startMs, ...endCandidates);

  return {
    version: RECORD_VERSION,
    sessionId: meta.sessionId,
    agentId: meta.agentId,
    mode: meta.mode,
    startedAt: iso(startMs),
    endedAt: iso(endMs),
    durationSeconds: Math.round(endMs - startMs) / 1000,
    endedReason: input.endedReason,
    finalizedAt: iso(input.finalizedAt),
    traceId: input.traceId ?? null,
    transcript: byTime(transcript),
    toolCalls: [...tools.values()]
      .sort((a, b) => a.sortTime - b.sortTime || a.order - b.order)
      .map(({ sortTime: _s, order: _o, ...call }) => call),
    logs: byTime(logs),
    turns: byTime(turns),
    metadata,
    consent: {
      deferUpload: meta.deferUpload,
      grantedAt: meta.consentGrantedAt ? iso(meta.consentGrantedAt) : null,
      audioDropped: meta.audioDropped?.reason ?? null,
    },
    audio: meta.audioDropped ? null : (input.audio ?? null),
    fragments: { received: input.fragments.length, lastSeq: input.lastSeq, missing: input.missing },
    sdk: meta.sdk ?? null,
  };
}

/** The record as an abort-recording that came in while it was being written leaves it: no audio, and why. */
export function withoutAudio(
  record: SessionRecord,
  reason: NonNullable<SessionRecord["consent"]["audioDropped"]>,
): SessionRecord {
  return { ...record, audio: null, consent: { ...record.consent, audioDropped: reason } };
}
