/**
 * Where the audio a server sends to a telephony stream plays, on the stream's clock (ms from its
 * start, as the stream's inbound timestamps count). Pure: no I/O, no timers; the caller passes `now`.
 * The placement itself is the SDK's one PlayoutPlacement; this file adds what only Twilio tells:
 *
 * - Audio sent at `now` starts at `now + latency`, or right after the audio still queued (back to back).
 * - It is handed out (`played`) only `holdBackMs` after it played, so that a mark echo can still
 *   correct its time and a `clear` can still drop it.
 * - `clear(now)` drops everything that had not played when the clear reached the stream.
 * - A mark sits at the end of the audio queued before it; its echo arrives when playback reached it,
 *   or later (an echo is delayed by the network, never early). So each echo bounds the send-to-play
 *   latency from above, and the latency is the smallest bound among the echoes of the current burst
 *   (audio sent into an empty queue starts one; each burst may reach the stream with its own delay):
 *   when it changes, the audio not yet handed out moves with it.
 */
import { PlayoutPlacement, type PlacedAudio } from "../audio/placement.ts";

/** Audio that played: `atMs` is the stream ms of its first sample. */
export type PlayedAudio = PlacedAudio;

export interface PlayoutOptions {
  /** Ms between sending and playing before any echo says otherwise (default 0). */
  latencyMs?: number;
  /** How long played audio is kept for corrections before it is handed out, ms (default 300). */
  holdBackMs?: number;
}

interface PendingMark {
  name: string;
  atMs: number;
  burst: number;
}

/** Latency changes up to this many ms leave the audio where it is. */
const LATENCY_TOLERANCE_MS = 1;
const MAX_LATENCY_MS = 5000;
/** Echoes of one burst the latency is estimated from. */
const ECHO_WINDOW = 5;
/** Marks kept while waiting for their echoes (a stream that never echoes must not grow without bound). */
const MAX_MARKS = 10_000;

/**
 * Twilio's send-to-play latency, learned from mark echoes, on top of the one playout placement every
 * integration shares (sdk/audio/placement.ts): queueing, back-to-back play, hold-back and cuts are its.
 */
export class Playout {
  readonly sampleRate: number;
  readonly holdBackMs: number;
  readonly #placement: PlayoutPlacement;
  readonly #marks: PendingMark[] = [];
  /** Names of marks dropped by clear(); their echoes mean nothing about playback. */
  readonly #cleared: string[] = [];
  /** Latencies implied by the last echoes of burst #impliedBurst. */
  readonly #implied: number[] = [];
  #impliedBurst = -1;
  /** Bursts started: audio sent while nothing was queued starts a new one. */
  #burst = 0;
  #latencyMs: number;

  constructor(sampleRate: number, options: PlayoutOptions = {}) {
    this.sampleRate = sampleRate;
    this.#latencyMs = clamp(options.latencyMs ?? 0, 0, MAX_LATENCY_MS);
    this.holdBackMs = Math.max(0, options.holdBackMs ?? 300);
    // Sent audio plays back to back after what is queued, however short the gap: pauseMs 0.
    this.#placement = new PlayoutPlacement({ holdMs: this.holdBackMs, pauseMs: 0 });
  }

  /** Stream ms at which the queued audio ends. */
  get endMs(): number {
    return this.#placement.endMs;
  }

  /** The current estimate of send-to-play latency, ms. */
  get latencyMs(): number {
    return this.#latencyMs;
  }

  /** Ms of audio dropped by clear() so far. */
  get cutMs(): number {
    return this.#placement.stats.cutMs;
  }

  /** Whether audio is still waiting to be handed out. */
  get pending(): boolean {
    return this.#placement.pending;
  }

  /** Queues audio sent at `now`; returns the stream ms at which it is expected to start. */
  enqueue(now: number, pcm: Int16Array): number {
    const endBefore = this.#placement.endMs;
    const startMs = this.#placement.push(pcm, this.sampleRate, now + this.#latencyMs);
    if (pcm.length > 0 && startMs > endBefore) this.#burst++;
    return startMs;
  }

  /** A mark sent at `now`: it sits at the end of the queued audio. */
  mark(now: number, name: string): number {
    const atMs = Math.max(now + this.#latencyMs, this.#placement.endMs);
    this.#marks.push({ name, atMs, burst: this.#burst });
    if (this.#marks.length > MAX_MARKS) this.#marks.shift();
    return atMs;
  }

  /**
   * The echo of mark `name` arrived at `now`. Returns the mark's estimated position and how late the
   * echo came (ms; negative: early), or undefined for the echo of a cleared or unknown mark.
   */
  echo(now: number, name: string): { atMs: number; lateMs: number } | undefined {
    const cleared = this.#cleared.indexOf(name);
    if (cleared >= 0) {
      this.#cleared.splice(cleared, 1);
      return undefined;
    }
    const index = this.#marks.findIndex((m) => m.name === name);
    if (index < 0) return undefined;
    const mark = this.#marks[index]!;
    this.#marks.splice(0, index + 1); // marks are echoed in order: earlier ones have played too
    const lateMs = now - mark.atMs;
    if (mark.burst !== this.#impliedBurst) {
      this.#implied.length = 0;
      this.#impliedBurst = mark.burst;
    }
    this.#implied.push(this.#latencyMs + lateMs);
    if (this.#implied.length > ECHO_WINDOW) this.#implied.shift();
    const latency = clamp(Math.min(...this.#implied), 0, MAX_LATENCY_MS);
    if (Math.abs(latency - this.#latencyMs) > LATENCY_TOLERANCE_MS) {
      const moved = this.#placement.shift(latency - this.#latencyMs);
      for (const pending of this.#marks) pending.atMs += moved;
      this.#latencyMs = latency;
    }
    return { atMs: mark.atMs, lateMs };
  }

  /** Audio that played at least holdBackMs before `now`, each sample handed out once. */
  played(now: number): PlayedAudio[] {
    return this.#placement.release(now);
  }

  /** A clear sent at `now`: returns everything played until it takes effect; the rest is dropped, queued marks too. */
  clear(now: number): PlayedAudio[] {
    const cutAt = now + this.#latencyMs;
    for (const mark of this.#marks.splice(0)) if (mark.atMs > cutAt) this.#cleared.push(mark.name);
    if (this.#cleared.length > MAX_MARKS) this.#cleared.splice(0, this.#cleared.length - MAX_MARKS);
    return this.#placement.cut(cutAt);
  }

  /** The stream ended at `now`: returns everything played until then; the rest never plays. */
  end(now: number): PlayedAudio[] {
    this.#marks.length = 0;
    return this.#placement.cut(now);
  }
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
