/**
 * observeLiveKitSession records both sides of a real @livekit/agents AgentSession call where they were
 * heard. The session runs its own pipeline: a microphone (an AudioInput, as RoomIO's) speaks in real
 * time; a speech recogniser node hears utterances by their energy and transcribes them from a script;
 * turn detection by STT; FakeLLM answers; a TTS node turns each answer into tone audio with loud
 * markers; LiveKit's own ParticipantAudioOutput plays it (its AudioSource paces playout in real time,
 * no room to publish to). The user barges in on the second answer. Where each sample was really heard
 * comes from outside the adapter: the microphone's push times, and the AudioSource's own queue (a
 * frame plays when the queue ahead of it has drained; clearQueue drops what never played).
 */
import { ReadableStream, type ReadableStreamDefaultController } from "node:stream/web";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initializeLogger, stt, voice, type APIConnectOptions } from "@livekit/agents";
import { AudioFrame, TrackPublishOptions, type Room } from "@livekit/rtc-node";
import { observeLiveKitSession } from "../../sdk/adapters/livekit.ts";
import type { Session } from "../../sdk/session.ts";
import { readStoredObject } from "../support/r2-read.ts";
import { deinterleave, onset, rms } from "../audio/signal.ts";
import { parseWavStrict } from "../audio/wav-check.ts";
import { startHarness, uid, type Harness } from "./support.ts";

initializeLogger({ pretty: false, level: "warn" });

const RATE = 24_000;
const MIC_FRAME = 240; // 10 ms
const TTS_FRAME = 480; // 20 ms
const LOUD = 12_000;
const QUIET = 1_500;
const MARKER_THRESHOLD = 3_000;

/** The call's script: what the user says, and what the agent answers (length and loud markers, seconds). */
const REPLIES: Record<string, { text: string; seconds: number; markers: number[] }> = {
  "what time is it": { text: "It is noon.", seconds: 1.0, markers: [0.3] },
  "tell me a story": { text: "Once upon a time there was a long story.", seconds: 3.0, markers: [0.4, 2.4] },
  "stop please": { text: "Okay.", seconds: 0.6, markers: [0.2] },
};
const BARGE_IN_AFTER_S = 1.2;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A microphone as RoomIO's participant input: frames arrive in real time through `stream`. */
class Microphone extends voice.AudioInput {
  readonly attached: boolean[] = [];
  #controller!: ReadableStreamDefaultController<AudioFrame>;

  constructor() {
    super();
    const stream = new ReadableStream<AudioFrame>({ start: (controller) => void (this.#controller = controller) });
    this.multiStream.addInputStream(stream as never);
  }

  push(frame: AudioFrame): void {
    this.#controller.enqueue(frame);
  }

  override setAttached(attached: boolean): void {
    this.attached.push(attached);
  }
}

/** Present so the session runs its recognition pipeline; the agent's sttNode does the listening. */
class ScriptedSTT extends stt.STT {
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

interface Heard {
  frame: AudioFrame;
  at: number;
}

/** The agent: recognises the scripted utterances by energy, speaks each answer as tone audio. */
class ScriptedAgent extends voice.Agent {
  readonly heard: Heard[] = [];
  readonly utterances: string[] = [];
  readonly replyFrames = new Map<AudioFrame, { text: string; offset: number }>();

  constructor() {
    super({ instructions: "answer from the script" });
  }

  override async sttNode(audio: ReadableStream<AudioFrame> | AsyncIterable<AudioFrame>): Promise<ReadableStream<stt.SpeechEvent>> {
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
            if (voicedMs === 100) controller.enqueue(speech(stt.SpeechEventType.INTERIM_TRANSCRIPT, text));
          } else if ((silentMs += ms) >= 200) {
            controller.enqueue(speech(stt.SpeechEventType.FINAL_TRANSCRIPT, text));
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
    const reply = Object.values(REPLIES).find((r) => r.text === said.trim());
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
function replyAudio(seconds: number, markers: number[]): Int16Array {
  const pcm = new Int16Array(Math.round(seconds * RATE));
  for (let i = 0; i < pcm.length; i++) pcm[i] = Math.round(QUIET * Math.sin((2 * Math.PI * 300 * i) / RATE));
  for (const m of markers) {
    const from = Math.round(m * RATE);
    for (let i = 0; i < 0.06 * RATE; i++) pcm[from + i] = Math.round(LOUD * Math.sin((2 * Math.PI * 1000 * i) / RATE));
  }
  return pcm;
}

/** LiveKit's room output without a room (as LiveKit's own recorder test builds it), its playout watched. */
function speaker() {
  const output = new voice.ParticipantAudioOutput({} as Room, { sampleRate: RATE, numChannels: 1, trackPublishOptions: new TrackPublishOptions() });
  (output as unknown as { startedFuture: { resolve(): void } }).startedFuture.resolve();
  const source = (output as unknown as { audioSource: { captureFrame(f: AudioFrame): Promise<void>; clearQueue(): void; queuedDuration: number } }).audioSource;
  const plays: Array<{ frame: AudioFrame; at: number }> = [];
  const clears: number[] = [];
  const captureFrame = source.captureFrame.bind(source);
  const clearQueue = source.clearQueue.bind(source);
  source.captureFrame = (frame) => {
    plays.push({ frame, at: Date.now() + source.queuedDuration });
    return captureFrame(frame);
  };
  source.clearQueue = () => {
    if (source.queuedDuration > 0) clears.push(Date.now());
    clearQueue();
  };
  return { output, plays, clears };
}

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.stop());

describe("observeLiveKitSession audio", () => {
  it("records the user's frames on the left where they arrived and the agent's played audio on the right where it played, nothing after a barge-in cut the reply", async () => {
    const agent = new ScriptedAgent();
    const session = new voice.AgentSession({
      llm: new voice.testing.FakeLLM(Object.entries(REPLIES).map(([input, reply]) => ({ input, content: reply.text }))),
      stt: new ScriptedSTT(),
      vad: null,
      turnHandling: { turnDetection: "stt", interruption: { resumeFalseInterruption: false } },
    });
    const sessionId = uid("livekit-audio");
    const observed = observeLiveKitSession(h.tracer(), session, { sessionId });
    const t0 = Date.parse((observed.session as unknown as Session).context.callStartedAt);

    // What RoomIO does at start: the participant's microphone in, the room's audio track out.
    const mic = new Microphone();
    const { output, plays, clears } = speaker();
    session.input.audio = mic;
    session.output.audio = output;
    await session.start({ agent });

    // The microphone: a 10 ms frame every 10 ms, loud 700 Hz while the user speaks.
    const pushed: Heard[] = [];
    const utterances: Array<{ text: string; startsAt: number; endsAt: number }> = [];
    const say = (text: string, startsAt: number, seconds: number) => {
      agent.utterances.push(text);
      utterances.push({ text, startsAt, endsAt: startsAt + seconds * 1000 });
    };
    let micOn = true;
    const micStarted = Date.now();
    const microphone = (async () => {
      for (let k = 0; micOn; k++) {
        await sleep(micStarted + (k + 1) * 10 - Date.now());
        const frameStart = micStarted + k * 10;
        const pcm = new Int16Array(MIC_FRAME);
        for (const u of utterances) {
          for (let i = 0; i < MIC_FRAME; i++) {
            const t = frameStart + (i / RATE) * 1000;
            if (t >= u.startsAt && t < u.endsAt) pcm[i] = Math.round(LOUD * Math.sin((2 * Math.PI * 700 * (t - u.startsAt)) / 1000));
          }
        }
        const frame = new AudioFrame(pcm, RATE, 1, MIC_FRAME);
        pushed.push({ frame, at: Date.now() });
        mic.push(frame);
      }
    })();

    /** When the first frame of a reply was handed to the AudioSource. */
    const replyStarted = async (text: string) => {
      for (;;) {
        const first = plays.find((p) => agent.replyFrames.get(p.frame)?.text === text);
        if (first) return first;
        await sleep(10);
      }
    };
    const speechDone = async (handleCount: number) => {
      while (speeches.length < handleCount) await sleep(10);
      await speeches[handleCount - 1]!.waitForPlayout();
    };
    const speeches: voice.SpeechHandle[] = [];
    session.on(voice.AgentSessionEventTypes.SpeechCreated, (event: voice.SpeechCreatedEvent) => void speeches.push(event.speechHandle));

    say("what time is it", Date.now() + 300, 0.8);
    await speechDone(1);
    say("tell me a story", Date.now() + 500, 0.7);
    const second = await replyStarted(REPLIES["tell me a story"]!.text);
    say("stop please", second.at + BARGE_IN_AFTER_S * 1000, 0.7); // the barge-in
    await speechDone(3);
    await sleep(300);
    micOn = false;
    await microphone;
    await session.close();

    const status = await observed.closed;
    expect(status?.state).toBe("finalized");
    expect(h.errors).toEqual([]);

    // The agent's path lost nothing: the recogniser heard every frame the microphone gave, in order
    // (LiveKit itself swaps some for silence while its echo cancellation warms up), promptly.
    expect(agent.heard).toHaveLength(pushed.length);
    expect(agent.heard.every((x, i) => x.frame === pushed[i]!.frame || x.frame.data.every((s) => s === 0))).toBe(true);
    const lags = pushed.map((p, i) => agent.heard[i]!.at - p.at);
    console.log(`stt lag ms: median ${median(lags)}, max ${Math.max(...lags)}, frames ${lags.length}`);
    expect(Math.max(...lags)).toBeLessThan(250);

    // Ground truth of the agent side: where each reply marker played, and where the barge-in cut.
    const playedAt = (text: string, seconds: number) => {
      const sample = Math.round(seconds * RATE);
      const play = plays.find((p) => {
        const f = agent.replyFrames.get(p.frame);
        return f?.text === text && f.offset <= sample && sample < f.offset + TTS_FRAME;
      });
      return play && play.at + ((sample - agent.replyFrames.get(play.frame)!.offset) / RATE) * 1000;
    };
    expect(clears).toHaveLength(1);
    const cutAt = clears[0]!;
    const story = REPLIES["tell me a story"]!;
    expect(cutAt - second.at).toBeLessThan(story.markers[1]! * 1000); // the second marker never played

    const record = await h.record(sessionId);
    expect(record.transcript.map((t) => t.role)).toEqual(["user", "assistant", "user", "assistant", "user", "assistant"]);
    const wav = parseWavStrict((await readStoredObject(h.worker.persistTo, record.audio!.key!))!);
    expect(wav.channels).toBe(2);
    const { left, right } = deinterleave(wav.data);
    const rate = wav.sampleRate;
    const sampleOf = (epochMs: number) => Math.round(((epochMs - t0) / 1000) * rate);
    const expectMarker = (on: Int16Array, off: Int16Array, atMs: number, label: string) => {
      const at = sampleOf(atMs);
      const found = onset(on, MARKER_THRESHOLD, at - Math.round(0.3 * rate), at + Math.round(0.3 * rate));
      expect(found, `${label}: no marker near ${at / rate} s`).toBeGreaterThanOrEqual(0);
      expect(Math.abs((found - at) / rate) * 1000, `${label} is off by (ms)`).toBeLessThanOrEqual(20);
      expect(onset(off, MARKER_THRESHOLD, at - Math.round(0.05 * rate), at + Math.round(0.05 * rate)), `${label} leaked to the other channel`).toBe(-1);
    };

    // Left: each utterance's first loud sample, where the microphone delivered it.
    for (const u of utterances) {
      const frame = pushed.find((p) => p.at - 10 <= u.startsAt + 10 && u.startsAt < p.at + 10 && p.frame.data.some((s) => s !== 0));
      expect(frame, u.text).toBeDefined();
      const firstLoud = frame!.frame.data.findIndex((s) => Math.abs(s) > MARKER_THRESHOLD);
      expectMarker(left, right, frame!.at - 10 + (firstLoud / RATE) * 1000, `user "${u.text}"`);
    }
    // Right: every marker that played, where it played.
    for (const [input, reply] of Object.entries(REPLIES)) {
      for (const m of reply.markers) {
        const at = playedAt(reply.text, m);
        if (input === "tell me a story" && m === story.markers[1]) continue;
        expect(at, `${reply.text} @ ${m}`).toBeDefined();
        expectMarker(right, left, at!, `agent "${reply.text}" @ ${m} s`);
      }
    }
    // The interrupted reply: its audio up to the cut, then nothing until the next reply.
    const storyStart = sampleOf(second.at);
    const cut = sampleOf(cutAt);
    const next = sampleOf((await replyStarted(REPLIES["stop please"]!.text)).at);
    expect(rms(right, storyStart + Math.round(0.05 * rate), cut - Math.round(0.05 * rate))).toBeGreaterThan(QUIET / 2);
    const after = right.subarray(cut + Math.round(0.02 * rate), next - Math.round(0.02 * rate));
    expect(Math.max(...Array.from(after, Math.abs))).toBe(0);

    // The transcript's interrupted reply spans exactly the audio of it the recording holds.
    const interrupted = record.transcript[3]!;
    expect(interrupted.text).toBe(story.text);
    let lastSample = cut + Math.round(0.02 * rate);
    while (lastSample > storyStart && right[lastSample] === 0) lastSample--;
    expect(Math.abs(Date.parse(interrupted.startedAt) - second.at), "interrupted reply starts off by (ms)").toBeLessThanOrEqual(20);
    expect(Math.abs(Date.parse(interrupted.endedAt) - (t0 + (lastSample / rate) * 1000)), "interrupted reply ends off by (ms)").toBeLessThanOrEqual(20);
  }, 60_000);
});

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}
