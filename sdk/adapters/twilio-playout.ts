/**
 * Where the audio a server sends to a telephony stream plays, on the stream's clock (ms from its
 * start). Pure: no I/O, no timers; the caller passes the time.
 *
 * - Audio sent at `now` starts at `now`, or right after the audio still queued (back to back).
 * - Audio counts as played once the clock passes it: `played(now)` hands out each sample once.
 * - `clear(now)` drops everything not yet played: it never reaches the recording.
 * - A mark sits at the end of the audio queued when it was sent; its echo says playback reached it.
 *   An echo later than the mark's position means playback runs behind the estimate: the queued
 *   audio not yet handed out moves later by the difference.
 */
export interface PlayedAudio {
  /** Stream ms at which the first sample plays. */
  atMs: number;
  pcm: Int16Array;
}

interface Segment {
  startMs: number;
  pcm: Int16Array;
  /** Samples already handed out by played(). */
  taken: number;
}

interface PendingMark {
  name: string;
  atMs: number;
}

/** Echoes within this many ms of the estimate are taken as confirmation, not as drift. */
const ECHO_TOLERANCE_MS = 5;

export class Playout {
  readonly sampleRate: number;
  readonly #queue: Segment[] = [];
  readonly #marks: PendingMark[] = [];
  /** Names of marks dropped by clear() whose echoes are still to come (FIFO). */
  readonly #cleared: string[] = [];
  #endMs = 0;
  #cutMs = 0;

  constructor(sampleRate: number) {
    this.sampleRate = sampleRate;
  }

  /** Stream ms at which the queued audio ends (now or earlier: nothing is queued). */
  get endMs(): number {
    return this.#endMs;
  }

  /** Ms of audio dropped by clear() so far. */
  get cutMs(): number {
    return this.#cutMs;
  }

  /** Queues audio sent at `now`; returns the stream ms at which it will start. */
  enqueue(now: number, pcm: Int16Array): number {
    const startMs = Math.max(now, this.#endMs);
    if (pcm.length === 0) return startMs;
    this.#queue.push({ startMs, pcm, taken: 0 });
    this.#endMs = startMs + this.#ms(pcm.length);
    return startMs;
  }

  /** A mark sent at `now`: it sits at the end of the queued audio. */
  mark(now: number, name: string): number {
    const atMs = Math.max(now, this.#endMs);
    this.#marks.push({ name, atMs });
    return atMs;
  }

  /**
   * The echo of mark `name` arrived at `now`. Returns the mark's estimated position and how late the
   * echo came (ms), or undefined for an echo of a cleared or unknown mark.
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
    if (lateMs > ECHO_TOLERANCE_MS) this.#delay(mark.atMs, lateMs);
    return { atMs: mark.atMs, lateMs };
  }

  /** Audio played up to `now` and not handed out before. */
  played(now: number): PlayedAudio[] {
    const out: PlayedAudio[] = [];
    while (this.#queue.length > 0) {
      const segment = this.#queue[0]!;
      const upTo = Math.min(segment.pcm.length, Math.floor(((now - segment.startMs) * this.sampleRate) / 1000));
      if (upTo > segment.taken) {
        out.push({ atMs: segment.startMs + this.#ms(segment.taken), pcm: segment.pcm.subarray(segment.taken, upTo) });
        segment.taken = upTo;
      }
      if (segment.taken < segment.pcm.length) break;
      this.#queue.shift();
    }
    return out;
  }

  /** Barge-in at `now`: returns the audio played until then; the rest is dropped, queued marks too. */
  clear(now: number): PlayedAudio[] {
    const out = this.played(now);
    for (const segment of this.#queue) this.#cutMs += this.#ms(segment.pcm.length - segment.taken);
    this.#queue.length = 0;
    for (const mark of this.#marks.splice(0)) {
      if (mark.atMs > now) this.#cleared.push(mark.name);
    }
    this.#endMs = Math.min(this.#endMs, now);
    return out;
  }

  /** Moves the audio that starts at or after `fromMs` and is not handed out yet later by `byMs`. */
  #delay(fromMs: number, byMs: number): void {
    const moved: Segment[] = [];
    for (let i = 0; i < this.#queue.length; i++) {
      const segment = this.#queue[i]!;
      const segmentEnd = segment.startMs + this.#ms(segment.pcm.length);
      if (segmentEnd <= fromMs) continue;
      // The part before `fromMs` keeps its place; the rest (not handed out yet) moves.
      const split = Math.max(segment.taken, Math.ceil(((fromMs - segment.startMs) * this.sampleRate) / 1000));
      if (split >= segment.pcm.length) continue;
      moved.push({ startMs: segment.startMs + this.#ms(split) + byMs, pcm: segment.pcm.subarray(split), taken: 0 });
      segment.pcm = segment.pcm.subarray(0, split);
    }
    const kept = this.#queue.filter((s) => s.taken < s.pcm.length);
    this.#queue.length = 0;
    this.#queue.push(...kept, ...moved);
    this.#queue.sort((a, b) => a.startMs - b.startMs);
    for (const mark of this.#marks) if (mark.atMs >= fromMs) mark.atMs += byMs;
    this.#endMs += byMs;
  }

  #ms(samples: number): number {
    return (samples * 1000) / this.sampleRate;
  }
}
