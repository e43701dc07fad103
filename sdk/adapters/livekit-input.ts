/**
 * The user's side of a LiveKit call: `session.input.audio` is wrapped the way LiveKit's own recorder
 * (voice/recorder_io) wraps it. The wrapper is what the session reads; it passes every frame on first
 * and only then hands it to the recording, so STT and VAD get the same frames at the same moment, and
 * attach / detach (mute) reach the wrapped input.
 */
import { voice } from "@livekit/agents";
import { assignAudioSlot, interceptAudioSlot } from "./livekit-slot.ts";
import { monoOf, type AudioFrameLike } from "./livekit-frames.ts";

type AudioInput = voice.AudioInput;

/** Frames arriving this close to where the run they continue expects them stay contiguous. */
const RESYNC_TOLERANCE_MS = 100;
/** How long a wrapper waits for the wrapped input's stream to be released by its previous reader. */
const CONNECT_TIMEOUT_MS = 1000;

export type UserAudioSink = (pcm: Int16Array, sampleRate: number, atMs: number) => void;

/** A pass-through input that shows each frame to `tap` after passing it on. */
class ObservedAudioInput extends voice.AudioInput {
  readonly source: AudioInput;
  #tap: ((frame: AudioFrameLike) => void) | undefined;
  readonly #unpipe = new AbortController();

  constructor(source: AudioInput, tap: (frame: AudioFrameLike) => void, onStuck: () => void) {
    super();
    this.source = source;
    this.#tap = tap;
    const pass = new TransformStream<AudioFrameLike, AudioFrameLike>({
      transform: (frame, controller) => {
        controller.enqueue(frame);
        this.#tap?.(frame);
      },
    });
    this.multiStream.addInputStream(pass.readable as unknown as Parameters<AudioInput["multiStream"]["addInputStream"]>[0]);
    this.#connect(pass.writable, Date.now(), onStuck);
  }

  /** Stops recording from this wrapper; frames keep flowing through it. */
  stopTapping(): void {
    this.#tap = undefined;
  }

  tapWith(tap: (frame: AudioFrameLike) => void): void {
    this.#tap = tap;
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

  override async close(): Promise<void> {
    this.#unpipe.abort();
    await super.close();
  }

  /**
   * Pipes the wrapped input's stream into this one. A session that already reads the wrapped input
   * (wrapped after start) releases it as soon as it switches to this wrapper, so a locked stream is
   * retried briefly before giving up.
   */
  #connect(target: WritableStream<AudioFrameLike>, since: number, onStuck: () => void): void {
    if (this.#unpipe.signal.aborted) return;
    const stream = this.source.stream as unknown as ReadableStream<AudioFrameLike>;
    if (stream.locked) {
      if (Date.now() - since > CONNECT_TIMEOUT_MS) return onStuck();
      setTimeout(() => this.#connect(target, since, onStuck), 10);
      return;
    }
    stream.pipeTo(target, { preventCancel: true, signal: this.#unpipe.signal }).catch(() => {
      // the wrapped input ended or was released: nothing more to pass on
    });
  }
}

/** Places one contiguous source on the timeline by arrival, as LiveKit's recorder does. */
class Run {
  #start: number | undefined;
  #rate = 0;
  #samples = 0;

  /** The epoch ms at which `samples` samples that arrived ending now began. */
  place(endedAt: number, samples: number, sampleRate: number): number {
    const startedAt = endedAt - (samples / sampleRate) * 1000;
    const expected = this.#start === undefined ? undefined : this.#start + (this.#samples / this.#rate) * 1000;
    if (expected === undefined || sampleRate !== this.#rate || Math.abs(startedAt - expected) > RESYNC_TOLERANCE_MS) {
      this.#start = startedAt;
      this.#rate = sampleRate;
      this.#samples = 0;
    }
    const at = this.#start! + (this.#samples / this.#rate) * 1000;
    this.#samples += samples;
    return at;
  }
}

/**
 * Wraps whatever is assigned to `session.input.audio` from now on (and what is there now). Only the
 * newest wrapper records, so a wrapper that ends up inside another input (LiveKit's recorder wrapping
 * ours) does not record the same frames twice. Returns the undo: wrappers stay in place, passing
 * frames through without recording.
 */
export function observeUserAudio(session: voice.AgentSession, sink: UserAudioSink, report: (error: unknown) => void): () => void {
  const wrappers: ObservedAudioInput[] = [];
  const run = new Run();
  const tap = (frame: AudioFrameLike) => {
    try {
      const pcm = monoOf(frame);
      if (pcm.length > 0) sink(pcm, frame.sampleRate, run.place(Date.now(), pcm.length, frame.sampleRate));
    } catch (error) {
      report(error);
    }
  };
  const wrap = (value: AudioInput | null): AudioInput | null => {
    for (const w of wrappers) w.stopTapping();
    if (value === null) return null;
    if (value instanceof ObservedAudioInput) {
      value.tapWith(tap);
      if (!wrappers.includes(value)) wrappers.push(value);
      return value;
    }
    const wrapper: ObservedAudioInput = new ObservedAudioInput(value, tap, () => {
      report(new Error("LiveKit's audio input stayed in use by another reader; the user's audio from it is not recorded"));
      wrapper.stopTapping();
      if (session.input.audio === wrapper) assignAudioSlot(session.input, value);
    });
    wrappers.push(wrapper);
    return wrapper;
  };
  const undo = interceptAudioSlot(session.input, wrap);
  if (session.input.audio) session.input.audio = session.input.audio;
  return () => {
    undo();
    for (const w of wrappers) w.stopTapping();
  };
}
