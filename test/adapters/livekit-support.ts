/**
 * Parts of a real @livekit/agents call for the LiveKit audio tests: a microphone speaking in real time
 * (an AudioInput, as RoomIO's participant input), an agent whose STT node hears utterances by their
 * energy and transcribes them from a script and whose TTS node speaks scripted tone audio with loud
 * markers, and LiveKit's own ParticipantAudioOutput without a room, its AudioSource watched: a frame
 * plays once the queue ahead of it has drained, and clearQueue drops what never played.
 */
import { ReadableStream, type ReadableStreamDefaultController } from "node:stream/web";
import { initializeLogger, stt, voice, type APIConnectOptions } from "@livekit/agents";
import { AudioFrame, TrackPublishOptions, type Room } from "@livekit/rtc-node";
import { readStoredObject } from "../support/r2-read.ts";
import { deinterleave, onset, rms } from "../audio/signal.ts";
import { parseWavStrict } from "../audio/wav-check.ts";
import { observeLiveKitSession } from "../../sdk/adapters/livekit.ts";
import type { Session } from "../../sdk/session.ts";
import { uid, type Harness } from "./support.ts";

/** LiveKit logs through a logger that must exist before an AgentSession starts: warnings and worse. */
initializeLogger({ pretty: false, level: "warn" });

export const RATE = 24_000;
const MIC_FRAME = 240; // 10 ms
const TTS_FRAME = 480; // 20 ms
export const LOUD = 12_000;
export const QUIET = 1_500;
export const MARKER_THRESHOLD = 3_000;

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

export interface Reply {
  text: string;
  seconds: number;
  /** Loud 60 ms markers, seconds into the reply. */
  markers: number[];
}

export interface Heard {
  frame: AudioFrame;
  at: number;
}

/**
 * A microphone: a 10 ms frame every 10 ms through `stream`, loud 700 Hz while the user speaks
 * (`say`). `pushed` keeps each frame with the time it was delivered.
 */
export class Microphone extends voice.AudioInput {
  readonly attached: boolean[] = [];
  readonly pushed: Heard[] = [];
  readonly utterances: Array<{ text: string; startsAt: number; endsAt: number }> = [];
  #controller!: ReadableStreamDefaultController<AudioFrame>;
  #on = false;
  #running: Promise<void> | undefined;

  constructor() {
    super();
    const stream = new ReadableStream<AudioFrame>({ start: (controller) => void (this.#controller = controller) });
    this.multiStream.addInputStream(stream);
  }

  override setAttached(attached: boolean): void {
    this.attached.push(attached);
  }

  /** Starts delivering frames in real time. */
  start(): void {
    this.#on = true;
    const started = Date.now();
    this.#running = (async () => {
      for (let k = 0; this.#on; k++) {
        await sleep(started + (k + 1) * 10 - Date.now());
        const frameStart = started + k * 10;
        const pcm = new Int16Array(MIC_FRAME);
        for (const u of this.utterances) {
          for (let i = 0; i < MIC_FRAME; i++) {
            const t = frameStart + (i / RATE) * 1000;
            if (t >= u.startsAt && t < u.endsAt)
              pcm[i] = Math.round(LOUD * Math.sin((2 * Math.PI * 700 * (t - u.startsAt)) / 1000));
          }
        }
        const frame = new AudioFrame(pcm, RATE, 1, MIC_FRAME);
        this.pushed.push({ frame, at: Date.now() });
        this.#controller.enqueue(frame);
      }
    })();
  }

  async stop(): Promise<void> {
    this.#on = false;
    await this.#running;
  }

  /** The user says `text` from `startsAt` (epoch ms) for `seconds`. */
  say(text: string, startsAt: number, seconds: number): void {
    this.utterances.push({ text, startsAt, endsAt: startsAt + seconds * 1000 });
  }

  /**
   * Epoch ms at which the user started saying `text`: the microphone's own clock (sample i of frame k
   * was captured at start + 10 k + i / rate ms), whenever the frame was delivered. Throws if no frame
   * of the utterance was delivered.
   */
  saidAt(text: string): number {
    const u = this.utterances.find((x) => x.text === text)!;
    if (!this.pushed.some((p) => p.at > u.startsAt && p.frame.data.some((s) => Math.abs(s) > MARKER_THRESHOLD)))
      throw new Error(`the microphone never delivered "${text}"`);
    return u.startsAt;
  }
}

/** Present so the session runs its recognition pipeline; the agent's sttNode does the listening. */
export class ScriptedSTT extends stt.STT {
  label = "scripted.STT";
  constructor() {
    super({ streaming: true, interimResults: true });
  }
  protected async _recognize(): Promise<stt.SpeechEvent> {
    throw new Error("not used: the agent's sttNode recognises");
  }
  stream(_options?: { connOptions?: APIConnectOptions }): stt.SpeechStream {
    throw new Error("not used: the agent's sttNode recognises");
  }
}

/**
 * The agent: recognises utterances by energy (texts from `utterances`, in order; a text starting with
 * "~" is a noise that only ever gets an interim transcript), speaks `replies` as tone audio.
 */
export class ScriptedAgent extends voice.Agent {
  readonly heard: Heard[] = [];
  readonly utterances: string[] = [];
  readonly replyFrames = new Map<AudioFrame, { text: string; offset: number }>();
  readonly #replies: Reply[];

  constructor(replies: Reply[]) {
    super({ instructions: "answer from the script" });
    this.#replies = replies;
  }

  override async sttNode(
    audio: ReadableStream<AudioFrame> | AsyncIterable<AudioFrame>,
  ): Promise<ReadableStream<stt.SpeechEvent>> {
    const heard = this.heard;
    const utterances = this.utterances;
    const speech = (type: stt.SpeechEventType, text = ""): stt.SpeechEvent => ({
      type,
      alternatives: [{ language: "en" as never, text, startTime: 0, endTime: 0, confidence: 1 }],
    });
    return new ReadableStream<stt.SpeechEvent>({
      async start(controller) {
        let text: string | undefined;
        let voicedMs = 0;
        let silentMs = 0;
        for await (const frame of audio as AsyncIterable<AudioFrame>) {
          heard.push({ frame, at: Date.now() });
          const ms = (frame.samplesPerChannel / frame.sampleRate) * 1000;
          const voiced = frame.data.some((s) => Math.abs(s) > MARKER_THRESHOLD);
          if (voiced && text === undefined) {
            text = utterances.shift() ?? "";
            voicedMs = silentMs = 0;
            controller.enqueue(speech(stt.SpeechEventType.START_OF_SPEECH));
          }
          if (text === undefined) continue;
          if (voiced) {
            voicedMs += ms;
            silentMs = 0;
            if (voicedMs === 100)
              controller.enqueue(speech(stt.SpeechEventType.INTERIM_TRANSCRIPT, text.replace(/^~/, "")));
          } else if ((silentMs += ms) >= 200) {
            if (!text.startsWith("~")) controller.enqueue(speech(stt.SpeechEventType.FINAL_TRANSCRIPT, text));
            controller.enqueue(speech(stt.SpeechEventType.END_OF_SPEECH));
            text = undefined;
          }
        }
        controller.close();
      },
    });
  }

  override async ttsNode(text: ReadableStream<string> | AsyncIterable<string>): Promise<ReadableStream<AudioFrame>> {
    let said = "";
    for await (const chunk of text as AsyncIterable<string>) said += chunk;
    const reply = this.#replies.find((r) => r.text === said.trim());
    if (!reply) throw new Error(`no audio scripted for ${JSON.stringify(said)}`);
    const pcm = replyAudio(reply.seconds, reply.markers);
    const frames = this.replyFrames;
    return new ReadableStream<AudioFrame>({
      async start(controller) {
        for (let offset = 0; offset < pcm.length; offset += TTS_FRAME) {
          const frame = new AudioFrame(pcm.slice(offset, offset + TTS_FRAME), RATE, 1, TTS_FRAME);
          frames.set(frame, { text: reply.text, offset });
          controller.enqueue(frame);
          await sleep(4); // a TTS faster than real time
        }
        controller.close();
      },
    });
  }
}

/** A quiet 300 Hz tone with 60 ms loud 1 kHz markers. */
export function replyAudio(seconds: number, markers: number[]): Int16Array {
  const pcm = new Int16Array(Math.round(seconds * RATE));
  for (let i = 0; i < pcm.length; i++) pcm[i] = Math.round(QUIET * Math.sin((2 * Math.PI * 300 * i) / RATE));
  for (const m of markers) {
    const from = Math.round(m * RATE);
    for (let i = 0; i < 0.06 * RATE; i++) pcm[from + i] = Math.round(LOUD * Math.sin((2 * Math.PI * 1000 * i) / RATE));
  }
  return pcm;
}

/** LiveKit's room output without a room (as LiveKit's own recorder test builds it), its playout watched. */
export function speaker(agent: ScriptedAgent) {
  const output = new voice.ParticipantAudioOutput({} as Room, {
    sampleRate: RATE,
    numChannels: 1,
    trackPublishOptions: new TrackPublishOptions(),
  });
  (output as unknown as { startedFuture: { resolve(): void } }).startedFuture.resolve();
  const source = (
    output as unknown as {
      audioSource: { captureFrame(f: AudioFrame): Promise<void>; clearQueue(): void; queuedDuration: number };
    }
  ).audioSource;
  const plays: Array<Heard & { pushedAt: number }> = [];
  const clears: number[] = [];
  const captureFrame = source.captureFrame.bind(source);
  const clearQueue = source.clearQueue.bind(source);
  source.captureFrame = (frame) => {
    plays.push({ frame, at: Date.now() + source.queuedDuration, pushedAt: Date.now() });
    return captureFrame(frame);
  };
  source.clearQueue = () => {
    if (source.queuedDuration > 0) clears.push(Date.now());
    clearQueue();
  };
  return {
    output,
    plays,
    clears,
    /** When the first frame of a reply was handed to the AudioSource (waits for it). */
    async started(text: string): Promise<Heard> {
      for (;;) {
        const first = plays.find((p) => agent.replyFrames.get(p.frame)?.text === text);
        if (first) return first;
        await sleep(10);
      }
    },
    /**
     * What the AudioSource played, as [from, to) epoch ms: each frame from where the queue ahead of it
     * drained, cut by a clearQueue after it was pushed (that dropped whatever was still queued).
     */
    playedIntervals(): Array<[number, number]> {
      return plays
        .map((p): [number, number] => {
          let to = p.at + (p.frame.samplesPerChannel / p.frame.sampleRate) * 1000;
          for (const c of clears) if (c >= p.pushedAt) to = Math.min(to, c);
          return [p.at, to];
        })
        .filter(([from, to]) => to > from);
    },
    /** Epoch ms at which the sample `seconds` into a reply played, if it did. */
    playedAt(text: string, seconds: number): number | undefined {
      const sample = Math.round(seconds * RATE);
      const play = plays.find((p) => {
        const f = agent.replyFrames.get(p.frame);
        return f?.text === text && f.offset <= sample && sample < f.offset + TTS_FRAME;
      });
      return play && play.at + ((sample - agent.replyFrames.get(play.frame)!.offset) / RATE) * 1000;
    },
  };
}

/** Waits until the session created `count` speeches and the last one played out. */
export function speeches(session: voice.AgentSession) {
  const handles: voice.SpeechHandle[] = [];
  session.on(
    voice.AgentSessionEventTypes.SpeechCreated,
    (event: voice.SpeechCreatedEvent) => void handles.push(event.speechHandle),
  );
  return async (count: number) => {
    while (handles.length < count) await sleep(10);
    await handles[count - 1]!.waitForPlayout();
  };
}

/** The finalized WAV's two channels; `sampleOf` turns an epoch time into a sample index of the call. */
export async function recordedChannels(h: Harness, sessionId: string, t0: number) {
  const record = await h.record(sessionId);
  if (!record.audio?.key) throw new Error(`session ${sessionId} has no audio`);
  const wav = parseWavStrict((await readStoredObject(h.worker.persistTo, record.audio.key))!);
  const { left, right } = deinterleave(wav.data);
  const rate = wav.sampleRate;
  return { record, wav, left, right, rate, sampleOf: (epochMs: number) => Math.round(((epochMs - t0) / 1000) * rate) };
}

/** Where the marker near `at` (sample) starts on `on`, and whether it leaked to `off`. */
export function findMarker(on: Int16Array, off: Int16Array, at: number, rate: number) {
  return {
    found: onset(on, MARKER_THRESHOLD, at - Math.round(0.3 * rate), at + Math.round(0.3 * rate)),
    leaked: onset(off, MARKER_THRESHOLD, at - Math.round(0.05 * rate), at + Math.round(0.05 * rate)) >= 0,
  };
}

/**
 * Compares a recorded channel with what really played, 10 ms at a time, away from the edges (20 ms):
 * where audio played the channel carries it, where nothing played it is silent. Returns the mismatches.
 */
export function mismatchesWithPlayed(
  channel: Int16Array,
  played: Array<[number, number]>,
  sampleOf: (epochMs: number) => number,
  rate: number,
): string[] {
  const truth = new Uint8Array(channel.length);
  for (const [from, to] of played) truth.fill(1, Math.max(0, sampleOf(from)), Math.min(channel.length, sampleOf(to)));
  const step = Math.round(rate / 100);
  const margin = Math.round(rate / 50);
  const mismatches: string[] = [];
  for (let w = margin; w + step + margin <= channel.length; w += step) {
    const around = truth.subarray(w - margin, w + step + margin);
    const window = channel.subarray(w, w + step);
    if (around.every((x) => x === 1) && rms(window) < QUIET / 2)
      mismatches.push(`${(w / rate).toFixed(2)} s: silent, but audio played`);
    if (around.every((x) => x === 0) && window.some((s) => s !== 0))
      mismatches.push(`${(w / rate).toFixed(2)} s: audio, but nothing played`);
  }
  return mismatches;
}

type AgentSessionOptions = NonNullable<ConstructorParameters<typeof voice.AgentSession>[0]>;

/**
 * A scripted call, observed: an agent speaking `script`'s replies (the FakeLLM answers each input with
 * its reply's text) in an AgentSession with `options`, the session observed into a new Cekura session
 * (`t0` its observe() time), and LiveKit's room output (`room`) to play the agent's audio.
 */
export function observedCall(
  h: Harness,
  idPrefix: string,
  script: Array<[input: string, reply: Reply]>,
  options: Omit<AgentSessionOptions, "llm"> = { vad: null, turnHandling: { turnDetection: "manual" } },
) {
  const agent = new ScriptedAgent(script.map(([, reply]) => reply));
  const llm = new voice.testing.FakeLLM(script.map(([input, reply]) => ({ input, content: reply.text })));
  const session = new voice.AgentSession({ llm, ...options });
  const played = speeches(session);
  const sessionId = uid(idPrefix);
  const observed = observeLiveKitSession(h.tracer(), session, { sessionId });
  const t0 = Date.parse((observed.session as unknown as Session).context.callStartedAt);
  return { agent, session, played, sessionId, observed, t0, room: speaker(agent) };
}

/**
 * What RoomIO does at start: a microphone in, the room's output out; then starts the session and the
 * microphone. `say` scripts an utterance for both the microphone and the agent's STT.
 */
export async function startWithMicrophone(call: ReturnType<typeof observedCall>) {
  const { agent, session, room } = call;
  const mic = new Microphone();
  session.input.audio = mic;
  session.output.audio = room.output;
  await session.start({ agent });
  mic.start();
  const say = (text: string, startsAt: number, seconds: number) => {
    agent.utterances.push(text);
    mic.say(text, startsAt, seconds);
  };
  return { mic, say };
}
