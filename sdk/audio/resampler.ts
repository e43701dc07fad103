/**
 * Streaming band-limited resampler for mono s16 PCM: windowed-sinc (Blackman) interpolation with
 * 16 zero crossings each side, cut-off at 0.92 x the lower Nyquist, polyphase coefficient table.
 * Output sample n sits exactly at input time n * inRate / outRate (no delay), so timing is kept.
 */

const ZERO_CROSSINGS = 16;
const CUTOFF = 0.92;
/** Phases beyond this are quantised (an error under 1/1024 of a sample). */
const MAX_PHASES = 1024;

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

export interface Resampler {
  readonly inRate: number;
  readonly outRate: number;
  /** Feeds input; returns the output samples whose window is now complete. */
  push(input: Int16Array): Int16Array;
  /** Feeds `count` zero samples (silence) without allocating them. */
  pushSilence(count: number): Int16Array;
  /** Ends the stream: returns every remaining output up to the input's end. */
  flush(): Int16Array;
}

/** Identity when the rates match: byte-exact. */
function passthrough(rate: number): Resampler {
  return {
    inRate: rate,
    outRate: rate,
    push: (input) => input.slice(),
    pushSilence: (count) => new Int16Array(count),
    flush: () => new Int16Array(0),
  };
}

export function createResampler(inRate: number, outRate: number): Resampler {
  if (!Number.isInteger(inRate) || !Number.isInteger(outRate) || inRate <= 0 || outRate <= 0) {
    throw new RangeError(`sample rates must be positive integers, got ${inRate} -> ${outRate}`);
  }
  if (inRate === outRate) return passthrough(inRate);
  const g = gcd(inRate, outRate);
  const L = outRate / g; // output step count per cycle
  const M = inRate / g; // input samples per cycle
  const fc = Math.min(1, outRate / inRate) * CUTOFF;
  const half = Math.ceil(ZERO_CROSSINGS / fc); // taps each side, in input samples
  const taps = 2 * half;
  const phases = Math.min(L, MAX_PHASES);
  const table = new Float32Array(phases * taps);
  for (let p = 0; p < phases; p++) {
    const frac = p / phases;
    let sum = 0;
    for (let j = 0; j < taps; j++) {
      const d = frac - (j - half + 1); // distance from output time to input sample base + (j - half + 1)
      const x = fc * d;
      const sinc = x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
      const w =
        Math.abs(d) >= half
          ? 0
          : 0.42 + 0.5 * Math.cos((Math.PI * d) / half) + 0.08 * Math.cos((2 * Math.PI * d) / half);
      const v = fc * sinc * w;
      table[p * taps + j] = v;
      sum += v;
    }
    // Unity gain at DC for every phase.
    for (let j = 0; j < taps; j++) table[p * taps + j]! /= sum;
  }

  // History holds input from absolute index histStart; indexes below 0 are zeros.
  let hist = new Float32Array(4096);
  let histStart = -(half - 1) - 1;
  let histLen = half; // the leading zeros
  let inTotal = 0; // real input samples fed
  let n = 0; // next output index

  const ensure = (extra: number) => {
    if (histLen + extra <= hist.length) return;
    // Drop what no future output needs, then grow if still short.
    const firstNeeded = Math.floor((n * M) / L) - half + 1;
    const drop = Math.max(0, Math.min(histLen, firstNeeded - histStart));
    if (drop > 0) {
      hist.copyWithin(0, drop, histLen);
      histLen -= drop;
      histStart += drop;
    }
    if (histLen + extra > hist.length) {
      const bigger = new Float32Array(Math.max(hist.length * 2, histLen + extra));
      bigger.set(hist.subarray(0, histLen));
      hist = bigger;
    }
  };

  /** Outputs n while sample base + half (the window's last) is below `available` (absolute index). */
  const produce = (available: number, limit: number): Int16Array => {
    // n < (available - half) * L / M (window complete) and n < limit * L / M (before the end).
    const byWindow = Math.ceil(((available - half) * L) / M);
    const byLimit = Number.isFinite(limit) ? Math.ceil((limit * L) / M) : byWindow;
    const count = Math.max(0, Math.min(byWindow, byLimit) - n);
    const out = new Int16Array(count);
    for (let o = 0; o < count; o++, n++) {
      const pos = n * M;
      const base = Math.floor(pos / L);
      const rem = pos - base * L;
      const row = (phases === L ? rem : Math.floor((rem * phases) / L)) * taps;
      const start = base - half + 1 - histStart;
      let acc = 0;
      for (let j = 0; j < taps; j++) acc += hist[start + j]! * table[row + j]!;
      const v = Math.round(acc);
      out[o] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
    }
    return out;
  };

  const append = (input: Int16Array | number) => {
    const count = typeof input === "number" ? input : input.length;
    ensure(count);
    if (typeof input === "number") hist.fill(0, histLen, histLen + count);
    else for (let i = 0; i < count; i++) hist[histLen + i] = input[i]!;
    histLen += count;
    inTotal += count;
  };

  return {
    inRate,
    outRate,
    push(input) {
      append(input);
      return produce(histStart + histLen, Number.POSITIVE_INFINITY);
    },
    pushSilence(count) {
      append(count);
      return produce(histStart + histLen, Number.POSITIVE_INFINITY);
    },
    flush() {
      const real = inTotal;
      ensure(half + 1);
      hist.fill(0, histLen, histLen + half + 1);
      histLen += half + 1;
      return produce(histStart + histLen, real);
    },
  };
}
