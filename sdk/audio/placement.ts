/**
 * Where audio given without an explicit time goes on the call's timeline: one rule shared by the core
 * (session.audio) and every adapter. Pure: no timers, no I/O; the caller passes its clock (`now`, ms).
 *
 * Captured audio (the user's microphone, an inbound stream): frames of a continuous source form a run.
 * A frame can reach us late but never before it was captured, so the run starts at the earliest time its
 * arrivals allow: min over its frames of (arrival - audio already in the run, this frame included). Frames
 * are held `holdMs` after they arrive so a run's start is refined before its samples are committed; a run
 * never starts before the previous one ends; a frame arriving more than `pauseMs` after where its run
 * expects it starts a new run (a pause, or a stall whose backlog then refines the new run back to where it
 * was captured). Late frames, bursts and stalls thus leave the timeline exact.
 *
 * Played audio (the agent's TTS): audio handed over faster than real time plays back to back from where
 * playback started; audio arriving after the queue ran dry starts a new run at its arrival. It is held
 * until `holdMs` after it played, so `cut(at)` can still drop what had not played by `at` (a barge-in).
 */

export interface PlacedAudio {
  pcm: Int16Array;
  rate: number;
  /** Timeline ms (the caller's clock) at which the first sample plays. */
  atMs: number;
}

/** How a channel was placed (sent with the record). */
export interface PlacementStats {
  /** Runs of continuous audio the channel was split into. */
  runs: number;
  /** The largest move of a run's start away from "first arrival" (captured audio), ms. */
  maxCorrectionMs: number;
  /** Ms of audio dropped by cut() (audio queued that never played). */
  cutMs: number;
}

export interface PlacementOptions {
  /** How long frames are held before they are committed, ms (default 300). */
  holdMs?: number;
  /** A frame this much later than its run expects starts a new run, ms (default 100 captured, 20 played). */
  pauseMs?: number;
}

export const PLACEMENT_HOLD_MS = 300;

interface Held {
  pcm: Int16Array;
  rate: number;
  /** Captured: arrival (release after arrival + hold). Played: when it plays. */
  atMs: number;
  /** Captured: the run it belongs to and its sample offset in it. */
  run?: Run;
  offset: number;
  /** Played: ms of audio pushed before its first sample (its position in what the source played). */
  posMs?: number;
}

interface Run {
  start: number;
  rate: number;
  samples: number;
  /** Start by the first frame's arrival alone (for the correction figure). */
  naive: number;
  placed: boolean;
}

const ms = (samples: number, rate: number) => (samples * 1000) / rate;

/** Placement of captured audio (see the file comment). */
export class CapturePlacement {
  readonly holdMs: number;
  readonly pauseMs: number;
  readonly #held: Held[] = [];
  #run: Run | undefined;
  /** End (ms) of the audio already committed: no run may start before it. */
  #committedEnd = 0;
  #stats: PlacementStats = { runs: 0, maxCorrectionMs: 0, cutMs: 0 };

  constructor(options: PlacementOptions = {}) {
    this.holdMs = Math.max(0, options.holdMs ?? PLACEMENT_HOLD_MS);
    this.pauseMs = Math.max(0, options.pauseMs ?? 100);
  }

  get stats(): PlacementStats {
    return { ...this.#stats };
  }

  /** Whether frames are waiting to be committed. */
  get pending(): boolean {
    return this.#held.length > 0;
  }

  /** A frame (mono s16) arrived at `arrivalMs`; it is copied. */
  push(pcm: Int16Array, rate: number, arrivalMs: number): void {
    if (pcm.length === 0) return;
    const startedAt = arrivalMs - ms(pcm.length, rate);
    let run = this.#run;
    const expected = run ? run.start + ms(run.samples, run.rate) : 0;
    if (!run || run.rate !== rate || startedAt - expected > this.pauseMs) {
      const floor = run ? Math.max(this.#committedEnd, expected) : this.#committedEnd;
      run = { start: Math.max(floor, startedAt), rate, samples: 0, naive: startedAt, placed: false };
      this.#run = run;
      this.#runFloor = floor;
      this.#stats.runs++;
    } else if (startedAt < run.start + ms(run.samples, rate) && !run.placed) {
      run.start = Math.max(this.#runFloor, startedAt - ms(run.samples, rate));
      this.#stats.maxCorrectionMs = Math.max(this.#stats.maxCorrectionMs, Math.round(run.naive - run.start));
    }
    this.#held.push({ pcm: pcm.slice(), rate, atMs: arrivalMs, run, offset: run.samples });
    run.samples += pcm.length;
  }

  #runFloor = 0;

  /** Frames that arrived at least holdMs before `nowMs`, placed. */
  release(nowMs: number): PlacedAudio[] {
    return this.#take(nowMs - this.holdMs);
  }

  /** Everything held, placed; the next frame starts a new run. */
  flush(): PlacedAudio[] {
    const out = this.#take(Number.POSITIVE_INFINITY);
    this.#run = undefined;
    return out;
  }

  /** Drops held audio that would play at or after `atMs`; returns what plays before it. */
  cut(atMs: number): PlacedAudio[] {
    const out: PlacedAudio[] = [];
    for (const h of this.#held.splice(0)) {
      const at = h.run!.start + ms(h.offset, h.rate);
      const keep = Math.max(0, Math.min(h.pcm.length, Math.floor(((atMs - at) * h.rate) / 1000)));
      this.#stats.cutMs += ms(h.pcm.length - keep, h.rate);
      if (keep > 0) out.push(this.#commit(h.pcm.subarray(0, keep), h.rate, at));
    }
    this.#run = undefined;
    return out;
  }

  #take(arrivedBefore: number): PlacedAudio[] {
    const out: PlacedAudio[] = [];
    while (this.#held.length > 0 && this.#held[0]!.atMs <= arrivedBefore) {
      const h = this.#held.shift()!;
      h.run!.placed = true;
      out.push(this.#commit(h.pcm, h.rate, h.run!.start + ms(h.offset, h.rate)));
    }
    return out;
  }

  #commit(pcm: Int16Array, rate: number, atMs: number): PlacedAudio {
    this.#committedEnd = Math.max(this.#committedEnd, atMs + ms(pcm.length, rate));
    return { pcm, rate, atMs };
  }
}

/** Placement of played audio (see the file comment). */
export class PlayoutPlacement {
  readonly holdMs: number;
  readonly pauseMs: number;
  readonly #queue: Held[] = [];
  /** Where the queued audio ends (ms). */
  #end = 0;
  /** End of what was handed out: nothing moves or is cut before it. */
  #handedOut = 0;
  /** Ms of audio pushed so far. */
  #pushedMs = 0;
  #stats: PlacementStats = { runs: 0, maxCorrectionMs: 0, cutMs: 0 };

  constructor(options: PlacementOptions = {}) {
    this.holdMs = Math.max(0, options.holdMs ?? PLACEMENT_HOLD_MS);
    this.pauseMs = Math.max(0, options.pauseMs ?? 20);
  }

  get stats(): PlacementStats {
    return { ...this.#stats };
  }

  get pending(): boolean {
    return this.#queue.length > 0;
  }

  /** Where the queued audio ends (ms). */
  get endMs(): number {
    return this.#end;
  }

  /** Audio handed over at `nowMs` plays after what is queued, or now; returns where it starts. It is copied. */
  push(pcm: Int16Array, rate: number, nowMs: number): number {
    // (A push without a usable time plays back to back.)
    const start =
      nowMs - this.#end > this.pauseMs && Number.isFinite(nowMs) ? nowMs : Math.max(this.#end, this.#handedOut);
    if (pcm.length === 0) return start;
    if (start !== this.#end || this.#stats.runs === 0) this.#stats.runs++;
    this.#queue.push({ pcm: pcm.slice(), rate, atMs: start, offset: 0, posMs: this.#pushedMs });
    this.#end = start + ms(pcm.length, rate);
    this.#pushedMs += ms(pcm.length, rate);
    return start;
  }

  /** Where the first sample not handed out yet plays (ms), if any is queued. */
  get nextMs(): number | undefined {
    const first = this.#queue[0];
    return first && first.atMs + ms(first.offset, first.rate);
  }

  /** Playback of the queued audio began at `atMs` (an output's own report): moves it there. */
  startAt(atMs: number): void {
    const next = this.nextMs;
    if (next !== undefined) this.shift(atMs - next);
  }

  /**
   * An output reports that the audio from `fromMs` to `toMs` of what was pushed (positions in ms of
   * audio, counted from the first push) played back to back from `atMs`: returns what of it was not
   * handed out yet, timed so; queued audio before `fromMs` never played and is dropped. The rest stays
   * queued for the next report or cut.
   */
  played(fromMs: number, toMs: number, atMs: number): PlacedAudio[] {
    const out: PlacedAudio[] = [];
    if (![fromMs, toMs, atMs].every(Number.isFinite)) return out;
    while (this.#queue.length > 0) {
      const h = this.#queue[0]!;
      const pos = h.posMs ?? 0;
      const skipTo = Math.min(h.pcm.length, Math.round(((fromMs - pos) * h.rate) / 1000));
      if (skipTo > h.offset) {
        this.#stats.cutMs += ms(skipTo - h.offset, h.rate);
        h.offset = skipTo;
      }
      const upTo = Math.min(h.pcm.length, Math.round(((toMs - pos) * h.rate) / 1000));
      if (upTo > h.offset) {
        const at = atMs + pos + ms(h.offset, h.rate) - fromMs;
        out.push({ pcm: h.pcm.subarray(h.offset, upTo), rate: h.rate, atMs: at });
        this.#handedOut = at + ms(upTo - h.offset, h.rate);
        h.offset = upTo;
      }
      if (h.offset < h.pcm.length) break;
      this.#queue.shift();
    }
    return out;
  }

  /** Playback stopped `positionMs` into what was pushed: returns what played before it, as placed; the rest is dropped. */
  cutAtPosition(positionMs: number): PlacedAudio[] {
    const out: PlacedAudio[] = [];
    if (Number.isNaN(positionMs)) return out;
    for (const h of this.#queue.splice(0)) {
      const upTo = Math.max(
        h.offset,
        Math.min(h.pcm.length, Math.round(((positionMs - (h.posMs ?? 0)) * h.rate) / 1000)),
      );
      if (upTo > h.offset) {
        out.push({ pcm: h.pcm.subarray(h.offset, upTo), rate: h.rate, atMs: h.atMs + ms(h.offset, h.rate) });
        this.#handedOut = h.atMs + ms(upTo, h.rate);
      }
      this.#stats.cutMs += ms(h.pcm.length - upTo, h.rate);
    }
    this.#end = this.#handedOut;
    return out;
  }

  /** Audio that played at least holdMs before `nowMs`. */
  release(nowMs: number): PlacedAudio[] {
    return this.#take(nowMs - this.holdMs);
  }

  /** Everything queued (the call ended with it playing). */
  flush(): PlacedAudio[] {
    return this.#take(Number.POSITIVE_INFINITY);
  }

  /** Playback stopped at `atMs`: returns what played before it; the rest is dropped. */
  cut(atMs: number): PlacedAudio[] {
    if (Number.isNaN(atMs)) return [];
    const out = this.#take(atMs);
    for (const h of this.#queue) this.#stats.cutMs += ms(h.pcm.length - h.offset, h.rate);
    this.#queue.length = 0;
    this.#end = Math.max(this.#handedOut, Math.min(this.#end, atMs));
    return out;
  }

  /**
   * Playback turned out to run `byMs` later (earlier, if negative) than placed: moves the audio not
   * handed out yet, never before what was; returns the move made. (An adapter that learns when audio
   * really played - Twilio's mark echoes - corrects with it.)
   */
  shift(byMs: number): number {
    if (!Number.isFinite(byMs)) return 0;
    const first = this.#queue[0];
    if (!first) return byMs;
    const firstStart = first.atMs + ms(first.offset, first.rate);
    const by = Math.max(byMs, this.#handedOut - firstStart);
    if (first.offset > 0)
      this.#queue[0] = {
        ...first,
        pcm: first.pcm.subarray(first.offset),
        atMs: firstStart,
        offset: 0,
        posMs: (first.posMs ?? 0) + ms(first.offset, first.rate),
      };
    for (const h of this.#queue) h.atMs += by;
    this.#end += by;
    return by;
  }

  #take(untilMs: number): PlacedAudio[] {
    const out: PlacedAudio[] = [];
    while (this.#queue.length > 0) {
      const h = this.#queue[0]!;
      const upTo = Math.min(h.pcm.length, Math.floor(((untilMs - h.atMs) * h.rate) / 1000));
      if (upTo > h.offset) {
        out.push({ pcm: h.pcm.subarray(h.offset, upTo), rate: h.rate, atMs: h.atMs + ms(h.offset, h.rate) });
        h.offset = upTo;
        this.#handedOut = h.atMs + ms(upTo, h.rate);
      }
      if (h.offset < h.pcm.length) break;
      this.#queue.shift();
    }
    return out;
  }
}
