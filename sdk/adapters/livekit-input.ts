/**
 * The user's side of a LiveKit call: `session.input.audio` is wrapped the way LiveKit's own recorder
 * (RecorderIO) wraps it. The wrapper is what the session reads; it passes every frame on first
 * and only then hands it to the recording, so STT and VAD get the same frames at the same moment, and
 * attach / detach (mute) reach the wrapped input.
 */
import { voice } from "@livekit/agents";
import { interceptAudioSlot } from "./livekit-slot.ts";
import { monoOf, type AudioFrameLike } from "./livekit-frames.ts";
import { CapturePlacement } from "../audio/placement.ts";

type AudioInput = voice.AudioInput;

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
 * The user's frames carry no capture time, so arrival is the clock: they are placed by the SDK's one
 * placement rule for captured audio (sdk/audio/placement.ts), released as its hold window passes.
 */
class UserTrack {
  readonly #sink: UserAudioSink;
  readonly #placement = new CapturePlacement();
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(sink: UserAudioSink) {
    this.#sink = sink;
  }

  push(pcm: Int16Array, sampleRate: number, arrivedAt: number): void {
    this.#placement.push(pcm, sampleRate, arrivedAt);
    this.#hand(this.#placement.release(arrivedAt));
  }

  /** Hands on everything held; the next frame starts a new run (another source: another clock). */
  flush(): void {
    this.#hand(this.#placement.flush());
  }

  #hand(parts: ReturnType<CapturePlacement["flush"]>): void {
    for (const part of parts) this.#sink(part.pcm, part.rate, part.atMs);
    if (this.#placement.pending && !this.#timer) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.#hand(this.#placement.release(Date.now()));
      }, this.#placement.holdMs);
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
