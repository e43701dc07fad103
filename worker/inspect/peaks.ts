/**
 * Waveform peaks of a finalized call, computed once and kept next to its record in RECORDINGS
 * (`peaks/<tenant>/<session>.json`).
 *
 * They are computed on the first inspector view, not inside finalization: a call may hold hours of audio,
 * and reading all of it again in the session's finalize step would lengthen the one step that must stay
 * short and retryable (the record and the forward wait on it), while a failure to draw a waveform must
 * never hold a record back. Here the WAV is streamed once in bounded memory (buckets plus one partial
 * frame) when it fits PEAKS_BUDGET_BYTES, else sampled by ranged reads; a failed or concurrent computation only
 * means it is done again, and the result is the same.
 */
import type { Env } from "../env.ts";
import type { RecordAudio } from "../session/record.ts";
import { recordKey } from "../storage/records.ts";
import { audioObject } from "./audio-object.ts";
import type { AudioObject } from "./audio-object.ts";
import { parseWav, PeakBuilder, streamWaveform, type Waveform } from "./waveform.ts";

/** Waveform resolution: min/max pairs per channel. */
export const PEAK_BUCKETS = 1200;
const VERSION = 1;

/**
 * The most bytes of a recording one peaks computation reads (issue 29 item 9). A recording whose samples fit
 * is read whole (PEAK_BUCKETS exact buckets); a longer one is sampled: SAMPLED_BUCKETS windows of
 * PEAKS_BUDGET_BYTES / SAMPLED_BUCKETS bytes each, one ranged read at the centre of each bucket. So a first
 * view of a 4 h 96 kHz call (~5.5 GB) reads 32 MiB plus the header, in 300 ranged reads.
 */
export const PEAKS_BUDGET_BYTES = 32 * 1024 * 1024;
export const SAMPLED_BUCKETS = 300;
const HEADER_READ_BYTES = 64 * 1024;
const SAMPLE_READS_AT_ONCE = 6;

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
  const waveform = await budgetedWaveform(object);
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
  // An erasure (or retention) that came in while the peaks were computed deleted the record and the peaks
  // key before this PUT: what was just written is deleted again (issue 29 item 1). R2 is strongly consistent,
  // so an erasure after this HEAD deletes the peaks itself.
  if (!(await env.RECORDINGS.head(recordKey(tenant, sessionId)))) await env.RECORDINGS.delete(key);
  return rounded;
}

const round = (v: number) => Math.round(v * 10_000) / 10_000;

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Whole-file peaks within the budget, else peaks sampled from SAMPLED_BUCKETS ranged reads (see PEAKS_BUDGET_BYTES). */
async function budgetedWaveform(object: AudioObject): Promise<Waveform | undefined> {
  if (object.size <= PEAKS_BUDGET_BYTES) return streamWaveform(await object.open(), object.size, PEAK_BUCKETS);
  const head = await readAll(await object.open({ start: 0, end: Math.min(object.size, HEADER_READ_BYTES) - 1 }));
  const info = parseWav(head, object.size);
  if (!info) return undefined;
  const frameBytes = 2 * info.channels;
  const frames = Math.floor(info.dataBytes / frameBytes);
  if (frames === 0) return undefined;
  const windowFrames = Math.max(1, Math.floor(PEAKS_BUDGET_BYTES / SAMPLED_BUCKETS / frameBytes));
  const n = Math.min(SAMPLED_BUCKETS, frames);
  const channels = Array.from({ length: info.channels }, () => new Array<[number, number]>(n));
  const sampleBucket = async (b: number) => {
    const centre = Math.floor(((b + 0.5) * frames) / n);
    const first = Math.max(0, Math.min(frames - windowFrames, centre - Math.floor(windowFrames / 2)));
    const count = Math.min(windowFrames, frames - first);
    const start = info.dataOffset + first * frameBytes;
    const bytes = await readAll(await object.open({ start, end: start + count * frameBytes - 1 }));
    const builder = new PeakBuilder({ ...info, dataOffset: 0, dataBytes: count * frameBytes }, 1);
    builder.push(bytes);
    builder.result().channels.forEach((pairs, ch) => (channels[ch]![b] = pairs[0]!));
  };
  for (let b = 0; b < n; b += SAMPLE_READS_AT_ONCE)
    await Promise.all(Array.from({ length: Math.min(SAMPLE_READS_AT_ONCE, n - b) }, (_, i) => sampleBucket(b + i)));
  return { durationSeconds: frames / info.sampleRate, channels };
}
