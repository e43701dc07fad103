/** Synthetic speech-like mono PCM: a voiced tone with harmonics and a syllable envelope, silence elsewhere. */

export interface Segment {
  start: number;
  end: number;
}

/** Fills `out` (s16 mono at `sampleRate`) with speech-like sound in each segment; `f0` is the pitch in Hz. */
export function synthesize(out: Int16Array, sampleRate: number, segments: Segment[], f0: number, seed: number): void {
  let state = seed >>> 0 || 1;
  const noise = () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32 - 0.5;
  };
  for (const seg of segments) {
    const from = Math.max(0, Math.floor(seg.start * sampleRate));
    const to = Math.min(out.length, Math.floor(seg.end * sampleRate));
    const length = to - from;
    let phase = 0;
    for (let i = 0; i < length; i++) {
      const t = i / sampleRate;
      // Pitch drifts like intonation; syllables at ~4.5 Hz; soft attack/release on the segment.
      const pitch = f0 * (1 + 0.08 * Math.sin(2 * Math.PI * 0.7 * t + seed));
      phase += (2 * Math.PI * pitch) / sampleRate;
      const syllable = Math.pow(Math.abs(Math.sin(Math.PI * 4.5 * t + seed)), 0.6);
      const edge = Math.min(1, i / (0.05 * sampleRate), (length - i) / (0.08 * sampleRate));
      const voiced =
        0.55 * Math.sin(phase) + 0.25 * Math.sin(2 * phase) + 0.12 * Math.sin(3 * phase) + 0.06 * Math.sin(5 * phase);
      const sample = (voiced * syllable + 0.05 * noise()) * edge * 0.55;
      out[from + i] = Math.max(-32768, Math.min(32767, Math.round(sample * 32767)));
    }
  }
}
