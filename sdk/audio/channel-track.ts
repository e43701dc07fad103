import { createResampler, type Resampler } from "./resampler.ts";
import { SampleRing } from "./ring-buffer.ts";

interface PendingInput {
  /** Milliseconds since the session's t0 at which the first sample plays. */
  atMs: number;
  rate: number;
  length: number;
}

export interface ChannelTrackOptions {
  /** The session's (output) sample rate. */
  rate: number;
  /** A later start within this many ms of the channel's end is treated as contiguous (clock jitter). */
  gapToleranceMs: number;
  /** Most input samples held before processing; more is refused (the caller's audio is dropped). */
  maxInputSamples: number;
}

/**
 * One side of the call on the session clock. The caller's path only copies PCM into `input`;
 * `process()` (in the background) places it in time - silence fills gaps, so audio starting at
 * 12.3 s lands at sample 12.3 * rate - resamples it to the session rate and appends it to `out`.
 */
export class ChannelTrack {
  readonly #opts: ChannelTrackOptions;
  readonly #input: SampleRing;
  readonly #pending: PendingInput[] = [];
  readonly #out = new SampleRing(16_384);
  #resampler: Resampler | undefined;
  /** Timeline position (output samples) of the current resampler's first input sample. */
  #baseOut = 0;
  /** Input samples fed to the current resampler. */
  #inFed = 0;
  /** Timeline samples already taken by `take`. */
  #taken = 0;

  constructor(options: ChannelTrackOptions) {
    this.#opts = options;
    this.#input = new SampleRing(16_384, options.maxInputSamples);
  }

  /** Caller's path: copy only. False when the input buffer is full (the samples are dropped). */
  enqueue(pcm: Int16Array, rate: number, atMs: number): boolean {
    if (!this.#input.write(pcm)) return false;
    this.#pending.push({ atMs, rate, length: pcm.length });
    return true;
  }

  get pendingInput(): number {
    return this.#input.length;
  }

  /** Timeline end of the output produced so far (samples at the session rate). */
  get available(): number {
    return this.#taken + this.#out.length;
  }

  /** Bytes reserved by this track's buffers. */
  get bufferBytes(): number {
    return this.#input.capacityBytes + this.#out.capacityBytes;
  }

  /** Moves queued input onto the timeline. */
  process(): void {
    const rate = this.#opts.rate;
    for (let next = this.#pending.shift(); next; next = this.#pending.shift()) {
      const samples = this.#input.read(next.length);
      const desired = (next.atMs * rate) / 1000;
      const gapTolerance = (this.#opts.gapToleranceMs * rate) / 1000;
      if (!this.#resampler || this.#resampler.inRate !== next.rate || desired - this.#nextPos() > gapTolerance) {
        this.#endSegment();
        if (desired > this.available) this.#out.writeSilence(Math.round(desired - this.available));
        this.#resampler = createResampler(next.rate, rate);
        this.#baseOut = this.available;
        this.#inFed = 0;
      }
      this.#out.write(this.#resampler.push(samples));
      this.#inFed += samples.length;
    }
  }

  /** Fills silence so the channel reaches timeline sample `position` (a channel nobody spoke on). */
  padTo(position: number): void {
    const gapTolerance = (this.#opts.gapToleranceMs * this.#opts.rate) / 1000;
    if (this.#resampler && position - this.#nextPos() <= gapTolerance) return;
    this.#endSegment();
    if (position > this.available) this.#out.writeSilence(Math.round(position - this.available));
  }

  /** Ends the stream: drains the resampler's look-ahead. */
  finish(): void {
    this.process();
    this.#endSegment();
  }

  /** Moves `count` timeline samples into target (count <= available - taken). */
  take(target: Int16Array, count: number): void {
    this.#out.readInto(target, 0, count);
    this.#taken += count;
  }

  clear(): void {
    this.#pending.length = 0;
    this.#input.clear();
    this.#out.clear();
    this.#resampler = undefined;
  }

  #nextPos(): number {
    if (!this.#resampler) return this.available;
    return this.#baseOut + (this.#inFed * this.#opts.rate) / this.#resampler.inRate;
  }

  #endSegment(): void {
    if (!this.#resampler) return;
    this.#out.write(this.#resampler.flush());
    this.#resampler = undefined;
  }
}
