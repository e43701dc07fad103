import { ChannelTrack } from "./channel-track.ts";
import { interleaveStereo } from "./interleave.ts";

export type AudioChannel = "user" | "assistant";

export interface StereoRecorderOptions {
  /** The session's sample rate (default 16 000). */
  sampleRate?: number;
  /** Frames per uploaded chunk, in ms of call (default DEFAULT_CHUNK_MS). */
  chunkMs?: number;
  /** A channel with no audio is filled with silence up to now - holdMs (default 1000). */
  holdMs?: number;
  /** Clock jitter tolerated before a gap is filled with silence (default 10 ms). */
  gapToleranceMs?: number;
  /** Seconds of input (at 48 kHz) each channel may hold before processing (default 60). */
  maxInputSeconds?: number;
}

export const DEFAULT_SAMPLE_RATE = 16_000;
/**
 * 5 s per chunk: each chunk is one Worker request, one Durable Object request and its own stored rows,
 * so 1 s chunks cost five times as much per call-minute. The price: an agent that crashes loses the
 * chunk being filled (up to 5 s) plus any cut chunk not yet acknowledged.
 */
export const DEFAULT_CHUNK_MS = 5000;

/**
 * Both channels on one clock (t0 = session start), interleaved left = user, right = assistant,
 * cut into chunks of equal length (the last may be shorter).
 */
export class StereoRecorder {
  readonly sampleRate: number;
  readonly chunkFrames: number;
  readonly #holdMs: number;
  readonly #user: ChannelTrack;
  readonly #assistant: ChannelTrack;
  /** Chunk buffers, allocated at the first full chunk (not on the observe() path). */
  #left: Int16Array | undefined;
  #right: Int16Array | undefined;
  /** Frames emitted so far. */
  framesEmitted = 0;
  /** Samples refused because an input buffer was full. */
  droppedSamples = 0;

  constructor(options: StereoRecorderOptions = {}) {
    this.sampleRate = options.sampleRate ?? DEFAULT_SAMPLE_RATE;
    if (!Number.isInteger(this.sampleRate) || this.sampleRate < 8000 || this.sampleRate > 96000) {
      throw new RangeError(`audio sampleRate must be an integer from 8000 to 96000, got ${this.sampleRate}`);
    }
    this.chunkFrames = Math.max(1, Math.round(((options.chunkMs ?? DEFAULT_CHUNK_MS) * this.sampleRate) / 1000));
    this.#holdMs = options.holdMs ?? 1000;
    const track = {
      rate: this.sampleRate,
      gapToleranceMs: options.gapToleranceMs ?? 10,
      maxInputSamples: Math.round((options.maxInputSeconds ?? 60) * 48_000),
    };
    this.#user = new ChannelTrack(track);
    this.#assistant = new ChannelTrack(track);
  }

  /** Caller's path: copies the samples; false when they were dropped (input buffer full). */
  push(channel: AudioChannel, pcm: Int16Array, rate: number, atMs: number): boolean {
    const ok = (channel === "user" ? this.#user : this.#assistant).enqueue(pcm, rate, atMs);
    if (!ok) this.droppedSamples += pcm.length;
    return ok;
  }

  get pendingInput(): number {
    return this.#user.pendingInput + this.#assistant.pendingInput;
  }

  get bufferBytes(): number {
    return this.#user.bufferBytes + this.#assistant.bufferBytes + 2 * this.chunkFrames * Int16Array.BYTES_PER_ELEMENT;
  }

  /**
   * Background step: places queued input, pads a silent channel up to now - hold, and returns the
   * chunks now complete (at most `maxChunks`).
   */
  pump(nowMs: number, maxChunks = Number.POSITIVE_INFINITY): Uint8Array[] {
    this.#user.process();
    this.#assistant.process();
    const hold = Math.floor(((nowMs - this.#holdMs) * this.sampleRate) / 1000);
    if (hold > this.framesEmitted) {
      this.#user.padTo(hold);
      this.#assistant.padTo(hold);
    }
    return this.#emit(false, maxChunks);
  }

  /** End of call: everything left, both channels padded to the longer one. */
  finish(): Uint8Array[] {
    this.#user.finish();
    this.#assistant.finish();
    const end = Math.max(this.#user.available, this.#assistant.available);
    this.#user.padTo(end);
    this.#assistant.padTo(end);
    return this.#emit(true, Number.POSITIVE_INFINITY);
  }

  clear(): void {
    this.#user.clear();
    this.#assistant.clear();
  }

  #emit(all: boolean, maxChunks: number): Uint8Array[] {
    const chunks: Uint8Array[] = [];
    while (chunks.length < maxChunks) {
      const ready = Math.min(this.#user.available, this.#assistant.available) - this.framesEmitted;
      const frames = ready >= this.chunkFrames ? this.chunkFrames : all && ready > 0 ? ready : 0;
      if (frames === 0) break;
      const full = frames === this.chunkFrames;
      const left = full ? (this.#left ??= new Int16Array(frames)) : new Int16Array(frames);
      const right = full ? (this.#right ??= new Int16Array(frames)) : new Int16Array(frames);
      this.#user.take(left, frames);
      this.#assistant.take(right, frames);
      chunks.push(interleaveStereo(left, right));
      this.framesEmitted += frames;
    }
    return chunks;
  }
}
