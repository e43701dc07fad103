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

/**
 * Reads the RIFF header; undefined when the bytes are not a PCM WAV. `totalBytes` is the whole file's
 * length when `bytes` is only its beginning (the data size is clamped to it).
 */
export function parseWav(bytes: Uint8Array, totalBytes = bytes.byteLength): WavInfo | undefined {
  if (bytes.byteLength < 44 || ascii(bytes, 0) !== "RIFF" || ascii(bytes, 8) !== "WAVE") return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 12;
  let fmt: Omit<WavInfo, "dataOffset" | "dataBytes"> | undefined;
  while (at + 8 <= bytes.byteLength) {
    const id = ascii(bytes, at);
    const size = view.getUint32(at + 4, true);
    if (id === "fmt ") {
      if (view.getUint16(at + 8, true) !== 1) return undefined;
      fmt = {
        channels: view.getUint16(at + 10, true),
        sampleRate: view.getUint32(at + 12, true),
        bitsPerSample: view.getUint16(at + 22, true),
      };
    } else if (id === "data") {
      if (!fmt || fmt.bitsPerSample !== 16 || fmt.channels < 1) return undefined;
      const dataOffset = at + 8;
      return { ...fmt, dataOffset, dataBytes: Math.max(0, Math.min(size, totalBytes - dataOffset)) };
    }
    at += 8 + size + (size % 2);
  }
  return undefined;
}

/**
 * Min/max per bucket per channel, fed the WAV's sample bytes in pieces of any size (a frame may be split
 * between two pieces): memory is the buckets and one partial frame, whatever the recording's length.
 */
export class PeakBuilder {
  readonly #info: WavInfo;
  readonly #frames: number;
  readonly #n: number;
  readonly #frameBytes: number;
  readonly #min: Int16Array[];
  readonly #max: Int16Array[];
  #frame = 0;
  #bucket = 0;
  #bucketEnd: number;
  #carry = new Uint8Array(0);

  constructor(info: WavInfo, buckets: number) {
    this.#info = info;
    this.#frameBytes = 2 * info.channels;
    this.#frames = Math.floor(info.dataBytes / this.#frameBytes);
    this.#n = Math.max(1, Math.min(buckets, this.#frames));
    this.#min = Array.from({ length: info.channels }, () => new Int16Array(this.#n));
    this.#max = Array.from({ length: info.channels }, () => new Int16Array(this.#n));
    this.#bucketEnd = Math.max(1, Math.floor(this.#frames / this.#n));
  }

  /** Sample bytes, in order, starting at the data chunk's first byte; bytes past the data chunk are ignored. */
  push(piece: Uint8Array): void {
    let bytes = piece;
    if (this.#carry.byteLength > 0) {
      bytes = new Uint8Array(this.#carry.byteLength + piece.byteLength);
      bytes.set(this.#carry);
      bytes.set(piece, this.#carry.byteLength);
    }
    const whole = Math.min(Math.floor(bytes.byteLength / this.#frameBytes), this.#frames - this.#frame);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const channels = this.#info.channels;
    for (let i = 0; i < whole; i++) {
      if (this.#frame >= this.#bucketEnd && this.#bucket < this.#n - 1) {
        this.#bucket++;
        this.#bucketEnd = Math.max(this.#bucketEnd + 1, Math.floor(((this.#bucket + 1) * this.#frames) / this.#n));
      }
      const at = i * this.#frameBytes;
      for (let ch = 0; ch < channels; ch++) {
        const sample = view.getInt16(at + ch * 2, true);
        if (sample < this.#min[ch]![this.#bucket]!) this.#min[ch]![this.#bucket] = sample;
        if (sample > this.#max[ch]![this.#bucket]!) this.#max[ch]![this.#bucket] = sample;
      }
      this.#frame++;
    }
    const rest = this.#frame < this.#frames ? bytes.subarray(whole * this.#frameBytes) : new Uint8Array(0);
    this.#carry = rest.slice();
  }

  result(): Waveform {
    return {
      durationSeconds: this.#frames / this.#info.sampleRate,
      channels: this.#min.map((mins, ch) =>
        Array.from(mins, (min, b): [number, number] => [min / 32768, this.#max[ch]![b]! / 32767]),
      ),
    };
  }
}

/** `buckets` min/max pairs per channel over the whole recording (held in memory: small files only). */
export function computeWaveform(bytes: Uint8Array, buckets: number): Waveform | undefined {
  const info = parseWav(bytes);
  if (!info) return undefined;
  const builder = new PeakBuilder(info, buckets);
  builder.push(bytes.subarray(info.dataOffset, info.dataOffset + info.dataBytes));
  return builder.result();
}

/** Headers longer than this are not ours (the Worker writes 44 bytes); the stream is then not read further. */
const MAX_HEADER_BYTES = 64 * 1024;

/**
 * The waveform of a WAV read as a stream (`size` = the whole object's bytes): the header is parsed from
 * the first bytes, then samples are folded into buckets as they arrive.
 */
export async function streamWaveform(
  stream: ReadableStream<Uint8Array>,
  size: number,
  buckets: number,
): Promise<Waveform | undefined> {
  const reader = stream.getReader();
  let head = new Uint8Array(0);
  let builder: PeakBuilder | undefined;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (builder) {
        builder.push(value);
        continue;
      }
      const joined = new Uint8Array(head.byteLength + value.byteLength);
      joined.set(head);
      joined.set(value, head.byteLength);
      head = joined;
      let info: WavInfo | undefined;
      try {
        info = parseWav(head, size);
      } catch {
        info = undefined; // the header's chunks are not all here yet
      }
      if (info && head.byteLength >= info.dataOffset) {
        builder = new PeakBuilder(info, buckets);
        builder.push(head.subarray(info.dataOffset));
        head = new Uint8Array(0);
      } else if (head.byteLength > MAX_HEADER_BYTES) {
        return undefined;
      }
    }
  } finally {
    reader.releaseLock();
    await stream.cancel().catch(() => undefined);
  }
  return builder?.result();
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
