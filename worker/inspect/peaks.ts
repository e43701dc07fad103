/**
 * Waveform peaks of a finalized call, computed once and kept next to its record in RECORDINGS
 * (`peaks/<tenant>/<session>.json`).
 *
 * They are computed on the first inspector view, not inside finalization: a call may hold hours of audio,
 * and reading all of it again in the session's finalize step would lengthen the one step that must stay
 * short and retryable (the record and the forward wait on it), while a failure to draw a waveform must
 * never hold a record back. Here the WAV is streamed once in bounded memory (buckets plus one partial
 * frame); a failed or concurrent computation only means it is done again, and the result is the same.
 */
import type { Env } from "../env.ts";
import type { RecordAudio } from "../session/record.ts";
import { audioObject } from "./audio-object.ts";
import { streamWaveform, type Waveform } from "./waveform.ts";

/** Waveform resolution: min/max pairs per channel. */
export const PEAK_BUCKETS = 1200;
const VERSION = 1;

export const peaksKey = (tenant: string, sessionId: string) => `peaks/${tenant}/${sessionId}.json`;

interface StoredPeaks extends Waveform {
  version: number;
  buckets: number;
  /** The recording these peaks were computed from (a different one means they are stale). */
  audioKey: string;
  audioBytes: number;
}

function usable(stored: unknown, audio: RecordAudio): stored is StoredPeaks {
  const p = stored as Partial<StoredPeaks> | null;
  return Boolean(
    p &&
      p.version === VERSION &&
      p.buckets === PEAK_BUCKETS &&
      p.audioKey === audio.key &&
      p.audioBytes === audio.bytes &&
      Array.isArray(p.channels),
  );
}

/** The stored peaks of a call's recording, computing and storing them on first use; undefined without a readable WAV. */
export async function loadPeaks(
  env: Env,
  tenant: string,
  sessionId: string,
  audio: RecordAudio,
): Promise<Waveform | undefined> {
  const key = peaksKey(tenant, sessionId);
  const cached = await env.RECORDINGS.get(key);
  if (cached) {
    const stored = await cached.json<unknown>().catch(() => null);
    if (usable(stored, audio)) return { durationSeconds: stored.durationSeconds, channels: stored.channels };
  }
  const object = await audioObject(env, audio.key);
  if (!object) return undefined;
  const waveform = await streamWaveform(await object.open(), object.size, PEAK_BUCKETS);
  if (!waveform) return undefined;
  const rounded: Waveform = {
    durationSeconds: waveform.durationSeconds,
    channels: waveform.channels.map((pairs) => pairs.map(([min, max]): [number, number] => [round(min), round(max)])),
  };
  const stored: StoredPeaks = {
    version: VERSION,
    buckets: PEAK_BUCKETS,
    audioKey: audio.key,
    audioBytes: audio.bytes,
    ...rounded,
  };
  await env.RECORDINGS.put(key, JSON.stringify(stored), { httpMetadata: { contentType: "application/json" } });
  return rounded;
}

const round = (v: number) => Math.round(v * 10_000) / 10_000;
