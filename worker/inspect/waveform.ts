/** Server-side waveform: min/max of each pixel bucket per channel, from a PCM s16le WAV. */

export interface WavInfo {
  sampleRate: number;
  channels: number;
  bitsPerSample: number;
  dataOffset: number;
  dataBytes: number;
}

export interface Waveform {
  durationSeconds: number;
  /** Per channel: [min, max] per bucket, in -1..1. */
  channels: Array<Array<[number, number]>>;
}

const ascii = (b: Uint8Array, at: number) => String.fromCharCode(b[at]!, b[at + 1]!, b[at + 2]!, b[at + 3]!);

/** Reads the RIFF header; undefined when the bytes are not a PCM WAV. */
export function parseWav(bytes: Uint8Array): WavInfo | undefined {
  if (bytes.byteLength < 44 || ascii(bytes, 0) !== "RIFF" || ascii(bytes, 8) !== "WAVE") return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 12;
  let fmt: Omit<WavInfo, "dataOffset" | "dataBytes"> | undefined;
  while (at + 8 <= bytes.byteLength) {
    const id = ascii(bytes, at);
    const size = view.getUint32(at + 4, true);
    if (id === "fmt ") {
      if (view.getUint16(at + 8, true) !== 1) return undefined;
      fmt = { channels: view.getUint16(at + 10, true), sampleRate: view.getUint32(at + 12, true), bitsPerSample: view.getUint16(at + 22, true) };
    } else if (id === "data") {
      if (!fmt || fmt.bitsPerSample !== 16 || fmt.channels < 1) return undefined;
      const dataOffset = at + 8;
      return { ...fmt, dataOffset, dataBytes: Math.min(size, bytes.byteLength - dataOffset) };
    }
    at += 8 + size + (size % 2);
  }
  return undefined;
}

/** `buckets` min/max pairs per channel over the whole recording. */
export function computeWaveform(bytes: Uint8Array, buckets: number): Waveform | undefined {
  const info = parseWav(bytes);
  if (!info) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset + info.dataOffset, info.dataBytes);
  const frameBytes = 2 * info.channels;
  const frames = Math.floor(info.dataBytes / frameBytes);
  const n = Math.max(1, Math.min(buckets, frames));
  const channels: Array<Array<[number, number]>> = [];
  for (let ch = 0; ch < info.channels; ch++) channels.push([]);
  for (let b = 0; b < n; b++) {
    const from = Math.floor((b * frames) / n);
    const to = Math.max(from + 1, Math.floor(((b + 1) * frames) / n));
    for (let ch = 0; ch < info.channels; ch++) {
      let min = 0;
      let max = 0;
      for (let f = from; f < to && f < frames; f++) {
        const s = view.getInt16(f * frameBytes + ch * 2, true);
        if (s < min) min = s;
        if (s > max) max = s;
      }
      channels[ch]!.push([min / 32768, max / 32767]);
    }
  }
  return { durationSeconds: frames / info.sampleRate, channels };
}

/** One channel as an SVG (a filled min/max envelope), stretched to its box. */
export function waveformSvg(pairs: Array<[number, number]>, label: string): string {
  const n = pairs.length;
  const top: string[] = [];
  const bottom: string[] = [];
  pairs.forEach(([min, max], i) => {
    top.push(`${i},${(50 - Math.max(max, 0.01) * 48).toFixed(1)}`);
    bottom.push(`${i},${(50 - Math.min(min, -0.01) * 48).toFixed(1)}`);
  });
  const points = [...top, ...bottom.reverse()].join(" ");
  return `<svg viewBox="0 0 ${n} 100" preserveAspectRatio="none" role="img" aria-label="${label.replace(/[^a-z ]/gi, "")}" data-buckets="${n}"><polygon points="${points}"/></svg>`;
}
