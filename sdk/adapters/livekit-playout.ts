/**
 * The agent's side of a LiveKit call, placed where it played. Frames the session hands to
 * `session.output.audio` are kept per playback segment (first frame .. playbackFinished); the
 * output's playback events say when they played:
 * - playbackStarted: the segment's first run begins; audio is released to the recording as the run
 *   plays on (a little behind real time, so a cut never has to take anything back);
 * - playbackProgressed: a run that ended (a pause, the source running dry, the end) - authoritative;
 *   the next run starts with the next frame the output accepts;
 * - playbackFinished: the segment is over; an interruption's playbackPosition cuts what never played.
 * An output that reports no runs is described by its start and finish alone.
 * Each segment's audio sits in the SDK's one playout placement (sdk/audio/placement.ts): back to back,
 * a new run when the source ran dry, held behind the playhead, moved and cut by the reports above.
 */
import { PlayoutPlacement, type PlacedAudio } from "../audio/placement.ts";
import { monoOf, type AudioFrameLike } from "./livekit-frames.ts";

/** Audio is released this far behind the playhead, so an interruption's report always comes first. */
const RELEASE_LAG_MS = 150;
const TICK_MS = 100;
/** A frame arriving this long after the previous audio ran out starts a new run (the source ran dry). */
const DRY_TOLERANCE_MS = 20;
/** How long close waits for the last segment's playbackFinished (LiveKit's recorder waits as long). */
export const CLOSE_PLAYOUT_TIMEOUT_MS = 2000;

export type AgentAudioSink = (pcm: Int16Array, sampleRate: number, atMs: number) => void;

/** The parts of LiveKit's AudioOutput the recording uses. */
export interface PlaybackOutput {
  captureFrame(frame: AudioFrameLike): Promise<void>;
  /** Segments the output has counted (one per captureFrame after a flush); it reports one finish for each. */
  readonly capturedPlayoutSegments?: number;
  on(event: string, listener: (event: never) => void): unknown;
  off(event: string, listener: (event: never) => void): unknown;
}

interface ProgressedEvent {
  startedAt: number;
  offset: number;
  duration: number;
}
interface FinishedEvent {
  playbackPosition: number;
  interrupted: boolean;
}

/** One playback segment: its audio in the shared playout placement, and what the output reported of it. */
class Segment {
  rate = 0;
  /** Samples captured (the segment's length so far). */
  length = 0;
  started = false;
  /** Whether the output reported any run of this segment. */
  reported = false;
  /** A run is playing: its audio is released by the clock, a little behind it. */
  running = false;
  /** The run playbackStarted began, while it lasts (no report, no restart since): where position 0 played. */
  firstRunAt: number | undefined;
  readonly placement = new PlayoutPlacement({ holdMs: RELEASE_LAG_MS, pauseMs: DRY_TOLERANCE_MS });

  get lengthMs(): number {
    return this.rate > 0 ? (this.length * 1000) / this.rate : 0;
  }
}

export class AgentPlayout {
  readonly #sink: AgentAudioSink;
  readonly #report: (error: unknown) => void;
  readonly #segments: Segment[] = [];
  #capturing: Segment | undefined;
  /** The output's segments mirrored so far. */
  #counted = 0;
  #output: PlaybackOutput | undefined;
  #untap: (() => void) | undefined;
  #unlisten: (() => void) | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #settledWaiters: Array<() => void> = [];
  #stopped = false;
  #playedUntil: number | undefined;

  constructor(sink: AgentAudioSink, report: (error: unknown) => void) {
    this.#sink = sink;
    this.#report = report;
  }

  /** Records from `output` from now on; null (the session let go of its output) keeps listening for the last playout. */
  follow(output: PlaybackOutput | null): void {
    if (this.#stopped || (output === this.#output && this.#untap)) return;
    this.#untap?.();
    this.#untap = undefined;
    this.#capturing = undefined;
    if (output === null) return;
    if (output !== this.#output) {
      this.#unlisten?.();
      this.#settleByClock(); // the old output's finishes will not come through the new one
      this.#listen(output);
      this.#output = output;
      this.#counted = output.capturedPlayoutSegments ?? 0; // segments from before are not ours to settle
    }
    this.#tap(output);
  }

  /** Epoch ms at which the last agent audio recorded stopped playing. */
  get playedUntil(): number | undefined {
    return this.#playedUntil;
  }

  /** Whether some captured audio has not been settled by a playbackFinished yet. */
  get pending(): boolean {
    return this.#segments.length > 0;
  }

  /** Resolves once every segment is finished, or after `timeoutMs`. */
  settled(timeoutMs: number): Promise<void> {
    if (!this.pending) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#settledWaiters.push(done);
    });
  }

  /**
   * Ends the recording: what is known to have played is released (a segment still playing up to
   * now, where it would be by now), the rest is dropped, and the output is left as it was.
   */
  stop(): void {
    if (this.#stopped) return;
    this.#settleByClock();
    this.#stopped = true;
    this.#untap?.();
    this.#unlisten?.();
    this.#untap = this.#unlisten = undefined;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Settles every open segment as far as its clock says it played by now. */
  #settleByClock(): void {
    const now = Date.now();
    for (const segment of this.#segments) if (segment.running) this.#emit(segment.placement.cut(now));
    this.#segments.length = 0;
    this.#capturing = undefined;
    this.#wakeSettled();
  }

  #tap(output: PlaybackOutput): void {
    const captureFrame = output.captureFrame;
    const playout = this;
    output.captureFrame = async function observedCaptureFrame(this: PlaybackOutput, frame: AudioFrameLike) {
      await captureFrame.call(this, frame);
      playout.#accepted(frame);
    };
    this.#untap = () => {
      if (output.captureFrame !== captureFrame) delete (output as Partial<PlaybackOutput>).captureFrame;
    };
  }

  #listen(output: PlaybackOutput): void {
    const handlers: Record<string, (event: never) => void> = {
      playbackStarted: (event: { createdAt: number }) => this.#guard(() => this.#started(event.createdAt)),
      playbackProgressed: (event: ProgressedEvent) => this.#guard(() => this.#progressed(event)),
      playbackFinished: (event: FinishedEvent) => this.#guard(() => this.#finished(event)),
    };
    for (const [name, handler] of Object.entries(handlers)) output.on(name, handler);
    this.#unlisten = () => {
      for (const [name, handler] of Object.entries(handlers)) output.off(name, handler);
    };
  }

  #guard(fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.#report(error);
    }
  }

  /**
   * Mirrors the segments the output counted: a frame opens one when it is the first after a flush,
   * and the output reports one finish per segment. Frames the output drops without counting (a frame
   * held at its gate while an interruption cleared it) do not open one. An output without the count
   * is taken as one segment at a time, up to its finish.
   */
  #sync(): void {
    const counted = this.#output?.capturedPlayoutSegments;
    if (counted === undefined) return;
    while (this.#counted < counted) {
      this.#counted++;
      this.#open();
    }
  }

  #open(): void {
    const segment = new Segment();
    this.#segments.push(segment);
    this.#capturing = segment;
  }

  /** The output accepted the frame: it will play right after what the segment holds. */
  #accepted(frame: AudioFrameLike): void {
    if (this.#stopped) return;
    this.#guard(() => {
      this.#sync();
      if (this.#output?.capturedPlayoutSegments === undefined && !this.#capturing) this.#open();
      const segment = this.#capturing;
      if (!segment || !this.#segments.includes(segment)) return;
      const pcm = monoOf(frame);
      if (segment.length === 0) segment.rate = frame.sampleRate;
      if (frame.sampleRate !== segment.rate || pcm.length === 0) return; // a segment plays at one rate; a stray frame is not recorded
      const placement = segment.placement;
      const now = Date.now();
      if (segment.running) {
        // plays after what is queued, or - the source ran dry - starts a new run now
        const endBefore = placement.endMs;
        if (placement.push(pcm, segment.rate, now) > endBefore) segment.firstRunAt = undefined;
      } else if (segment.started) {
        // the previous run ended (a report): this frame starts the next one, after any audio the
        // output dropped in between
        placement.cut(Number.NEGATIVE_INFINITY);
        placement.push(pcm, segment.rate, now);
        segment.running = true;
      } else {
        placement.push(pcm, segment.rate, placement.endMs); // back to back; playbackStarted places it
      }
      segment.length += pcm.length;
      this.#schedule();
    });
  }

  #started(createdAt: number): void {
    this.#sync();
    const segment = this.#segments.find((s) => !s.started);
    if (!segment) return;
    const at = Number.isFinite(createdAt) ? createdAt : Date.now(); // an output that gives no time: now
    segment.started = true;
    segment.running = true;
    segment.firstRunAt = at;
    segment.placement.startAt(at);
    this.#schedule();
  }

  #progressed(event: ProgressedEvent): void {
    this.#sync();
    const segment = this.#segments[0];
    if (!segment || segment.rate === 0) return;
    // A report without usable numbers says nothing: the run's clock goes on.
    if (![event.offset, event.duration, event.startedAt].every(Number.isFinite)) return;
    // The first run began when playbackStarted said; a report dates a run back from when the output
    // noticed it ended, which can be late when the output is slow to learn a frame was accepted.
    const from = Math.round((event.offset * segment.rate) / 1000) === 0 ? 0 : event.offset;
    const startedAt = from === 0 && segment.firstRunAt !== undefined ? segment.firstRunAt : event.startedAt;
    segment.reported = true;
    segment.started = true;
    this.#emit(segment.placement.played(from, event.offset + event.duration, startedAt));
    segment.running = false;
    segment.firstRunAt = undefined;
  }

  #finished(event: FinishedEvent): void {
    this.#sync();
    const segment = this.#segments.shift();
    if (!segment) return;
    if (segment === this.#capturing) this.#capturing = undefined;
    if (!segment.reported && segment.rate > 0 && !Number.isFinite(event.playbackPosition)) {
      // no position: as far as its clock says it played
      if (segment.running) this.#emit(segment.placement.cut(Date.now()));
    } else if (!segment.reported && segment.rate > 0) {
      const playedMs = Math.min(segment.lengthMs, event.playbackPosition * 1000);
      // never reported as started: its played audio ended now
      if (!segment.running) this.#emit(segment.placement.played(0, playedMs, Date.now() - playedMs));
      else this.#emit(segment.placement.cutAtPosition(playedMs));
    }
    if (this.#segments.length === 0) this.#wakeSettled();
  }

  #emit(parts: PlacedAudio[]): void {
    for (const part of parts) {
      this.#playedUntil = Math.max(this.#playedUntil ?? 0, part.atMs + (part.pcm.length * 1000) / part.rate);
      this.#sink(part.pcm, part.rate, part.atMs);
    }
  }

  #schedule(): void {
    if (this.#timer || this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      const now = Date.now();
      let running = false;
      for (const segment of this.#segments) {
        if (!segment.running) continue;
        running = true;
        this.#guard(() => this.#emit(segment.placement.release(now)));
      }
      if (running) this.#schedule();
    }, TICK_MS);
  }

  #wakeSettled(): void {
    for (const wake of this.#settledWaiters.splice(0)) wake();
  }
}
