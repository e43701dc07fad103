/** Test signals and measurements for audio tests (independent of the code under test). */

export function sine(rate: number, seconds: number, freq: number, amplitude: number): Int16Array {
  const n = Math.round(rate * seconds);
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.round(amplitude * Math.sin((2 * Math.PI * freq * i) / rate));
  return out;
}

/** Least-squares fit of a*sin + b*cos at `freq` over x[from..to): amplitude and SNR (dB) of fit vs residual. */
export function fitSine(x: Int16Array, rate: number, freq: number, from: number, to: number) {
  let ss = 0,
    cc = 0,
    sc = 0,
    xs = 0,
    xc = 0;
  for (let i = from; i < to; i++) {
    const s = Math.sin((2 * Math.PI * freq * i) / rate);
    const c = Math.cos((2 * Math.PI * freq * i) / rate);
    ss += s * s;
    cc += c * c;
    sc += s * c;
    xs += x[i]! * s;
    xc += x[i]! * c;
  }
  const det = ss * cc - sc * sc;
  const a = (xs * cc - xc * sc) / det;
  const b = (xc * ss - xs * sc) / det;
  let signal = 0,
    noise = 0;
  for (let i = from; i < to; i++) {
    const fit = a * Math.sin((2 * Math.PI * freq * i) / rate) + b * Math.cos((2 * Math.PI * freq * i) / rate);
    signal += fit * fit;
    noise += (x[i]! - fit) ** 2;
  }
  return { amplitude: Math.hypot(a, b), snrDb: 10 * Math.log10(signal / Math.max(noise, 1e-9)) };
}

/** Frequency from rising zero crossings (linearly interpolated) over x[from..to). */
export function zeroCrossingFrequency(x: Int16Array, rate: number, from: number, to: number): number {
  let first = -1,
    last = -1,
    count = 0;
  for (let i = from + 1; i < to; i++) {
    if (x[i - 1]! < 0 && x[i]! >= 0) {
      const t = i - 1 + -x[i - 1]! / (x[i]! - x[i - 1]!);
      if (first < 0) first = t;
      else count++;
      last = t;
    }
  }
  return (count * rate) / (last - first);
}

export function rms(x: Int16Array, from = 0, to = x.length): number {
  let sum = 0;
  for (let i = from; i < to; i++) sum += x[i]! * x[i]!;
  return Math.sqrt(sum / Math.max(1, to - from));
}

/** Deterministic noise in [-amplitude, amplitude]. */
export function noise(n: number, seed: number, amplitude = 20000): Int16Array {
  const out = new Int16Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = Math.round(((x / 0xffffffff) * 2 - 1) * amplitude);
  }
  return out;
}

/** First index from `from` where |x| exceeds `threshold`, or -1. */
export function onset(x: Int16Array, threshold: number, from = 0, to = x.length): number {
  for (let i = from; i < to; i++) if (Math.abs(x[i]!) > threshold) return i;
  return -1;
}

/** Splits interleaved stereo s16le into its two channels. */
export function deinterleave(bytes: Uint8Array): { left: Int16Array; right: Int16Array } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const frames = bytes.byteLength / 4;
  const left = new Int16Array(frames),
    right = new Int16Array(frames);
  for (let i = 0; i < frames; i++) {
    left[i] = view.getInt16(4 * i, true);
    right[i] = view.getInt16(4 * i + 2, true);
  }
  return { left, right };
}
