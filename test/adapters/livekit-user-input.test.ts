/**
 * The user's channel follows `session.input.audio` through a real AgentSession's life, recording what
 * the session reads, each frame once: another wrapper put around ours at start (as LiveKit's own
 * recorder wraps the input), an input replaced mid-call (LiveKit reads the new one from the next agent
 * activity on, so the old one is still heard until the handoff), and mute reaching the microphone.
 */
import { ReadableStream, TransformStream } from "node:stream/web";
import { describe, expect, it } from "vitest";
import { voice } from "@livekit/agents";
import type { AudioFrame } from "@livekit/rtc-node";
import { observeLiveKitSession } from "../../sdk/adapters/livekit.ts";
import type { Session } from "../../sdk/session.ts";
import {
  findMarker,
  MARKER_THRESHOLD,
  Microphone,
  recordedChannels,
  ScriptedAgent,
  ScriptedSTT,
  sleep,
} from "./livekit-support.ts";
import { uid, useHarness } from "./support.ts";

/** An app's own input wrapper (a filter, LiveKit's recorder): reads the input it wraps, passes frames on. */
class PassThroughInput extends voice.AudioInput {
  constructor(readonly source: voice.AudioInput) {
    super();
    this.multiStream.addInputStream(
      source.stream.pipeThrough(new TransformStream<AudioFrame, AudioFrame>()) as ReadableStream<AudioFrame>,
    );
  }
  override setAttached(attached: boolean): void {
    this.source.setAttached(attached);
  }
}

const h = useHarness();

describe("observeLiveKitSession user channel", () => {
  it("records what the session hears, each frame once, through a second wrapper and across an input replaced mid-call, and mute reaches the microphone", async () => {
    const agent = new ScriptedAgent([]);
    const session = new voice.AgentSession({
      llm: new voice.testing.FakeLLM([]),
      stt: new ScriptedSTT(),
      vad: null,
      turnHandling: { turnDetection: "manual" },
    });
    const sessionId = uid("livekit-input");
    const observed = observeLiveKitSession(h.tracer(), session, { sessionId });
    const t0 = Date.parse((observed.session as unknown as Session).context.callStartedAt);

    // At start: the participant's microphone, then another wrapper around it (as LiveKit's recorder does).
    const first = new Microphone();
    session.input.audio = first;
    session.input.audio = new PassThroughInput(session.input.audio);
    await session.start({ agent });
    first.start();
    first.say("first", Date.now() + 200, 0.3);
    await sleep(700);

    // Mid-call the app replaces the input; the session keeps reading the first one until the next activity.
    const second = new Microphone();
    session.input.audio = second;
    first.say("first, still heard", Date.now() + 200, 0.3);
    await sleep(700);
    const next = new ScriptedAgent([]);
    second.start();
    session.updateAgent(next);
    while (next.heard.length === 0) await sleep(10);
    second.say("second", Date.now() + 200, 0.3);
    first.say("first, no longer heard", Date.now() + 600, 0.3);
    await sleep(1000);

    // Mute and unmute.
    session.input.setAudioEnabled(false);
    session.input.setAudioEnabled(true);
    expect(second.attached.slice(-2)).toEqual([false, true]);

    await Promise.all([first.stop(), second.stop()]);
    await session.close();
    await h.finalized(observed.closed);

    const { left, right, rate, sampleOf } = await recordedChannels(h, sessionId, t0);
    for (const [mic, text] of [
      [first, "first"],
      [first, "first, still heard"],
      [second, "second"],
    ] as const) {
      const at = sampleOf(mic.saidAt(text));
      const { found, leaked } = findMarker(left, right, at, rate);
      expect(Math.abs((found - at) / rate) * 1000, `"${text}" is off by (ms)`).toBeLessThanOrEqual(20);
      expect(leaked).toBe(false);
      // recorded once: the loud stretch lasts as long as the utterance, not twice as long
      let end = found;
      while (end < left.length && Math.abs(left[end]!) + Math.abs(left[end + 1]!) + Math.abs(left[end + 2]!) > 0) end++;
      expect(Math.abs((end - found) / rate - 0.3) * 1000, `"${text}" lasts (ms off 300)`).toBeLessThanOrEqual(20);
    }
    for (const [mic, text] of [[first, "first, no longer heard"]] as const) {
      const u = mic.utterances.find((x) => x.text === text)!;
      expect(
        left.subarray(sampleOf(u.startsAt), sampleOf(u.endsAt)).some((s) => Math.abs(s) > MARKER_THRESHOLD),
        `"${text}" is recorded`,
      ).toBe(false);
    }
    // what the recogniser heard is what was recorded
    const heard = (a: ScriptedAgent, mic: Microphone, text: string) => {
      const u = mic.utterances.find((x) => x.text === text)!;
      return a.heard.some(
        (x) => x.at >= u.startsAt && x.at <= u.endsAt + 20 && x.frame.data.some((s) => Math.abs(s) > MARKER_THRESHOLD),
      );
    };
    expect([
      heard(agent, first, "first, still heard"),
      heard(next, second, "second"),
      heard(next, first, "first, no longer heard"),
    ]).toEqual([true, true, false]);
  }, 60_000);
});
