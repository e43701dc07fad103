/**
 * The user's side of a LiveKit call: `session.input.audio` is wrapped the way LiveKit's own recorder
 * (RecorderIO) wraps it. The wrapper is what the session reads; it passes every frame on first
 * and only then hands it to the recording, so STT and VAD get the same frames at the same moment, and
 * attach / detach (mute) reach the wrapped input.
 */
import { voice } from "@livekit/agents";
import { interceptAudioSlot } from "./livekit-slot.ts";
import { monoOf, type AudioFrameLike } from "./livekit-frames.ts";

type AudioInput = voice.AudioInput;

/** Frames arriving this close to where the run they continue expects them stay contiguous. */
const RESYNC_TOLERANCE_MS = 100;
/** How long user frames are held before they are placed (well inside the recorder's own hold). */
const HOLD_MS = 250;

export type UserAudioSink = (pcm: Int16Array, sampleRate: number, atMs: number) => void;

/**
 * A pass-through input that shows each frame to `tap` as its reader reads it, and says when its stream
 * is asked for (a session attaching it, or another input wrapping it).
 */
class ObservedAudioInput extends voice.AudioInput {
  readonly source: AudioInput;
  #tap: ((frame: AudioFrameLike, from: ObservedAudioInput) => void) | undefined;
  readonly #onRead: (wrapper: ObservedAudioInput) => void;
  #tapped: ReadableStream<AudioFrameLike> | undefined;

  constructor(
    source: AudioInput,
    tap: (frame: AudioFrameLike, from: ObservedAudioInput) => void,
    onRead: (wrapper: ObservedAudioInput) => void,
  ) {
    super();
    this.source = source;
    this.#tap = tap;
    this.#onRead = onRead;
    this.#connect(10);
  }

  /** What the session reads: the wrapped input's frames, each shown to the tap as it is read. */
  override get stream(): AudioInput["stream"] {
    this.#onRead(this);
    this.#tapped ??= (super.stream as unknown as ReadableStream<AudioFrameLike>).pipeThrough(
      new TransformStream<AudioFrameLike, AudioFrameLike>({
        transform: (frame, controller) => {
          controller.enqueue(frame);
          this.#tap?.(frame, this);
        },
      }),
    );
    return this.#tapped as unknown as AudioInput["stream"];
  }

  /** Stops showing frames to the tap; frames keep flowing through. */
  stopTapping(): void {
    this.#tap = undefined;
  }

  override setAttached(attached: boolean): void {
    super.setAttached(attached);
    this.source.setAttached(attached);
  }

  override onAttached(): void {
    this.source.onAttached();
  }

  override onDetached(): void {
    this.source.onDetached();
  }

  /**
   * Reads the wrapped input. One the session still reads (this wrapper was assigned after start) is
   * released when the session attaches this wrapper instead, so a locked stream is polled until then.
   */
  #connect(delayMs: number): void {
    if (this.multiStream.isClosed) return;
    const stream = this.source.stream;
    if ((stream as unknown as ReadableStream).locked) {
      setTimeout(() => this.#connect(Math.min(delayMs * 2, 250)), delayMs);
      return;
    }
    this.multiStream.addInputStream(stream);
  }
}

/**
 * Places the frames of one contiguous source on the timeline. Frames carry no capture time, so arrival
 * is the clock; a frame can arrive late but never before it was captured, so a run starts at the
 * earliest start its frames allow (a backlog read in a burst lands where it was captured, not where it
 * was read). Frames are held `HOLD_MS` so a run's first frames wait for that estimate; a frame arriving
 * more than `RESYNC_TOLERANCE_MS` after where its run expects it starts a new run (the source paused).
 */
class UserTrack {
  readonly #sink: UserAudioSink;
  readonly #held: Array<{ pcm: Int16Array; arrivedAt: number; offset: number }> = [];
  #start = 0;
  #rate = 0;
  #samples = 0;
  /** Whether some of the current run was handed on (its start is fixed from then on). */
  #placed = false;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(sink: UserAudioSink) {
    this.#sink = sink;
  }

  push(pcm: Int16Array, sampleRate: number, arrivedAt: number): void {
    const startedAt = arrivedAt - (pcm.length / sampleRate) * 1000;
    const expected = this.#start + (this.#samples / this.#rate) * 1000;
    if (this.#rate === 0 || sampleRate !== this.#rate || startedAt - expected > RESYNC_TOLERANCE_MS) {
      this.#release(Number.POSITIVE_INFINITY);
      this.#start = startedAt;
      this.#rate = sampleRate;
      this.#samples = 0;
      this.#placed = false;
    } else if (startedAt < expected && !this.#placed) {
      this.#start -= expected - startedAt;
    }
    this.#held.push({ pcm: pcm.slice(), arrivedAt, offset: this.#samples });
    this.#samples += pcm.length;
    this.#release(arrivedAt - HOLD_MS);
  }

  /** Hands on everything held; the next frame starts a new run (another source: another clock). */
  flush(): void {
    this.#release(Number.POSITIVE_INFINITY);
    this.#rate = 0;
  }

  #release(arrivedBefore: number): void {
    while (this.#held.length > 0 && this.#held[0]!.arrivedAt <= arrivedBefore) {
      const { pcm, offset } = this.#held.shift()!;
      this.#placed = true;
      this.#sink(pcm, this.#rate, this.#start + (offset / this.#rate) * 1000);
    }
    if (this.#held.length > 0 && !this.#timer) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.#release(Date.now() - HOLD_MS);
      }, HOLD_MS);
    }
  }
}

/**
 * Wraps whatever is assigned to `session.input.audio` from now on (and what is there now). Only the
 * wrapper whose stream was asked for last records: that is the one the session attached (LiveKit
 * attaches the input at start and on each new agent activity). A wrapper inside another input (LiveKit's
 * recorder wrapping ours) is still read by that input but records nothing, and an input replaced after
 * start keeps recording until the session attaches the new one. Returns the undo: wrappers stay in
 * place, passing frames through without recording.
 */
export function observeUserAudio(
  session: voice.AgentSession,
  sink: UserAudioSink,
  report: (error: unknown) => void,
): () => void {
  const wrappers: ObservedAudioInput[] = [];
  let reading: ObservedAudioInput | undefined;
  let recording: ObservedAudioInput | undefined;
  const track = new UserTrack(sink);
  const tap = (frame: AudioFrameLike, from: ObservedAudioInput) => {
    if (from !== reading) return;
    if (from !== recording) track.flush();
    recording = from;
    try {
      const pcm = monoOf(frame);
      if (pcm.length > 0) track.push(pcm, frame.sampleRate, Date.now());
    } catch (error) {
      report(error);
    }
  };
  const wrap = (value: AudioInput | null): AudioInput | null => {
    if (value === null || value instanceof ObservedAudioInput) return value;
    const wrapper = new ObservedAudioInput(value, tap, (w) => (reading = w));
    wrappers.push(wrapper);
    return wrapper;
  };
  const undo = interceptAudioSlot(session.input, wrap);
  if (session.input.audio) session.input.audio = session.input.audio;
  return () => {
    undo();
    for (const w of wrappers) w.stopTapping();
    track.flush();
  };
}
