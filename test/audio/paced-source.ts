/**
 * A real-time audio source for placement tests and the bench (runtime-neutral: setTimeout and
 * performance.now only). Frame k holds source time [k*20, k*20+20) ms and is delivered, in order, no
 * earlier than when it was captured (its end) plus its delay: a late frame holds back those behind it,
 * which then arrive in a burst, as over a WebSocket or a busy event loop.
 */

export const FRAME_MS = 20;

/** 60 ms 1 kHz tone bursts at `markers` (seconds) over `seconds` of silence, or of a quiet 300 Hz bed. */
export function markerSignal(rate: number, seconds: number, markers: number[], bed = 0): Int16Array {
  const out = new Int16Array(Math.round(rate * seconds));
  if (bed > 0) for (let i = 0; i < out.length; i++) out[i] = Math.round(bed * Math.sin((2 * Math.PI * 300 * i) / rate));
  for (const m of markers) {
    const from = Math.round(m * rate);
    const n = Math.min(Math.round(0.06 * rate), out.length - from);
    for (let i = 0; i < n; i++) out[from + i] = Math.round(12000 * Math.sin((2 * Math.PI * 1000 * i) / rate));
  }
  return out;
}

/** Seeded xorshift in [0, 1). */
export function seeded(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x100000000;
  };
}

/** Delay (ms) per frame: a seeded `share` of frames late by up to `maxMs`. */
export function jitterDelays(frames: number, seed: number, share = 0.05, maxMs = 150): number[] {
  const random = seeded(seed);
  return Array.from({ length: frames }, () => (random() < share ? random() * maxMs : 0));
}

export interface PacedOptions {
  delays?: number[];
  /** Busy-wait the event loop this long (ms) right after delivering frame `stallAfterFrame`. */
  stallMs?: number;
  stallAfterFrame?: number;
  /** Frames in [from, to) are never delivered (the source paused). */
  pause?: { fromFrame: number; toFrame: number };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)));

/**
 * Delivers `pcm` in 20 ms frames in real time to `deliver`; returns performance.now() at source time 0.
 */
export async function playPaced(
  pcm: Int16Array,
  rate: number,
  deliver: (frame: Int16Array, index: number) => void,
  options: PacedOptions = {},
): Promise<number> {
  const frame = Math.round((rate * FRAME_MS) / 1000);
  const frames = Math.floor(pcm.length / frame);
  const start = performance.now();
  for (let k = 0; k < frames; k++) {
    if (options.pause && k >= options.pause.fromFrame && k < options.pause.toFrame) continue;
    const due = start + (k + 1) * FRAME_MS + (options.delays?.[k] ?? 0);
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    deliver(pcm.subarray(k * frame, (k + 1) * frame), k);
    if (options.stallMs && k === options.stallAfterFrame) {
      const until = performance.now() + options.stallMs;
      while (performance.now() < until) {
        // a busy event loop (GC pause, module load)
      }
    }
  }
  return start;
}

/** First sample index in [from, to) whose magnitude exceeds threshold, or -1. */
export function onsetOf(x: Int16Array, threshold: number, from: number, to: number): number {
  for (let i = Math.max(0, from); i < Math.min(to, x.length); i++) if (Math.abs(x[i]!) > threshold) return i;
  return -1;
}

/** Last sample index in [from, to) whose magnitude exceeds threshold, or -1. */
export function lastAbove(x: Int16Array, threshold: number, from = 0, to = x.length): number {
  for (let i = Math.min(to, x.length) - 1; i >= Math.max(0, from); i--) if (Math.abs(x[i]!) > threshold) return i;
  return -1;
}
