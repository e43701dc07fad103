/**
 * observeLiveKitSession records both sides of a real @livekit/agents AgentSession call where they were
 * heard. The session runs its own pipeline (livekit-support.ts): a microphone speaking in real time,
 * an STT node hearing utterances, turn detection by STT, FakeLLM answers, a TTS node speaking tone audio
 * with loud markers, LiveKit's own ParticipantAudioOutput playing it. The user barges in on the second
 * answer (LiveKit interrupts on the interim transcript). Where each sample was really heard comes from
 * outside the adapter: the microphone's own clock, and the AudioSource's own queue.
 */
import { describe, expect, it } from "vitest";
import { rms } from "../audio/signal.ts";
import {
  findMarker,
  mismatchesWithPlayed,
  observedCall,
  QUIET,
  recordedChannels,
  ScriptedSTT,
  sleep,
  startWithMicrophone,
  type Reply,
} from "./livekit-support.ts";
import { useHarness } from "./support.ts";

const TIME: Reply = { text: "It is noon.", seconds: 1.0, markers: [0.3] };
const STORY: Reply = { text: "Once upon a time there was a long story.", seconds: 3.0, markers: [0.4, 2.4] };
const OKAY: Reply = { text: "Okay.", seconds: 0.6, markers: [0.2] };
const BARGE_IN_AFTER_S = 1.2;

const h = useHarness();

describe("observeLiveKitSession audio", () => {
  it("records the user's frames on the left where they were captured and the agent's played audio on the right where it played, nothing after a barge-in cut the reply", async () => {
    const call = observedCall(
      h,
      "livekit-audio",
      [
        ["what time is it", TIME],
        ["tell me a story", STORY],
        ["stop please", OKAY],
      ],
      {
        stt: new ScriptedSTT(),
        vad: null,
        turnHandling: { turnDetection: "stt", interruption: { resumeFalseInterruption: false } },
      },
    );
    const { agent, session, played, sessionId, observed, t0, room } = call;
    // What RoomIO does at start: the participant's microphone in, the room's audio track out.
    const { mic, say } = await startWithMicrophone(call);
    say("what time is it", Date.now() + 300, 0.8);
    await played(1);
    say("tell me a story", Date.now() + 500, 0.7);
    const story = await room.started(STORY.text);
    say("stop please", story.at + BARGE_IN_AFTER_S * 1000, 0.7); // the barge-in
    await played(3);
    await sleep(300);
    await mic.stop();
    await session.close();

    await h.finalized(observed.closed);

    // The agent's path lost nothing: the recogniser heard every frame the microphone gave, in order
    // (LiveKit itself swaps some for silence while its echo cancellation warms up), promptly.
    expect(agent.heard).toHaveLength(mic.pushed.length);
    expect(agent.heard.every((x, i) => x.frame === mic.pushed[i]!.frame || x.frame.data.every((s) => s === 0))).toBe(
      true,
    );
    // Not held back: a frame typically reaches the recogniser in the tick it was delivered (a wrapper
    // that buffered frames would move the median; a loaded machine only moves the tail).
    const lags = mic.pushed.map((p, i) => agent.heard[i]!.at - p.at).sort((a, b) => a - b);
    console.log(
      `stt lag ms: median ${lags[lags.length >> 1]}, 99th ${lags[Math.floor(lags.length * 0.99)]}, max ${lags.at(-1)}, frames ${lags.length}`,
    );
    expect(lags[lags.length >> 1]).toBeLessThan(50);

    // The barge-in cut the story before its second marker.
    expect(room.clears).toHaveLength(1);
    const cutAt = room.clears[0]!;
    expect(cutAt - story.at).toBeLessThan(STORY.markers[1]! * 1000);

    const { record, left, right, rate, sampleOf } = await recordedChannels(h, sessionId, t0);
    expect(record.transcript.map((t) => t.role)).toEqual([
      "user",
      "assistant",
      "user",
      "assistant",
      "user",
      "assistant",
    ]);
    const expectMarker = (on: Int16Array, off: Int16Array, atMs: number, label: string) => {
      const at = sampleOf(atMs);
      const { found, leaked } = findMarker(on, off, at, rate);
      expect(found, `${label}: no marker near ${at / rate} s`).toBeGreaterThanOrEqual(0);
      expect(Math.abs((found - at) / rate) * 1000, `${label} is off by (ms)`).toBeLessThanOrEqual(20);
      expect(leaked, `${label} leaked to the other channel`).toBe(false);
    };
    // Left: each utterance's first loud sample, where the microphone captured it.
    for (const u of mic.utterances) expectMarker(left, right, mic.saidAt(u.text), `user "${u.text}"`);
    // Right: every marker that played, where it played.
    for (const [reply, m] of [
      [TIME, 0.3],
      [STORY, 0.4],
      [OKAY, 0.2],
    ] as const) {
      const at = room.playedAt(reply.text, m);
      expect(at, `${reply.text} @ ${m}`).toBeDefined();
      expectMarker(right, left, at!, `agent "${reply.text}" @ ${m} s`);
    }
    // The interrupted reply: its audio up to the cut, then nothing until the next reply.
    const storyStart = sampleOf(story.at);
    const cut = sampleOf(cutAt);
    const next = sampleOf((await room.started(OKAY.text)).at);
    expect(rms(right, storyStart + Math.round(0.05 * rate), cut - Math.round(0.05 * rate))).toBeGreaterThan(QUIET / 2);
    const after = right.subarray(cut + Math.round(0.02 * rate), next - Math.round(0.02 * rate));
    expect(Math.max(...Array.from(after, Math.abs))).toBe(0);

    // All of it: audio on the right exactly where the AudioSource played it.
    expect(mismatchesWithPlayed(right, room.playedIntervals(), sampleOf, rate)).toEqual([]);

    // The transcript's interrupted reply spans exactly the audio of it the recording holds.
    const interrupted = record.transcript[3]!;
    expect(interrupted.text).toBe(STORY.text);
    let lastSample = cut + Math.round(0.02 * rate);
    while (lastSample > storyStart && right[lastSample] === 0) lastSample--;
    expect(
      Math.abs(Date.parse(interrupted.startedAt) - story.at),
      "interrupted reply starts off by (ms)",
    ).toBeLessThanOrEqual(20);
    expect(
      Math.abs(Date.parse(interrupted.endedAt) - (t0 + (lastSample / rate) * 1000)),
      "interrupted reply ends off by (ms)",
    ).toBeLessThanOrEqual(20);
  }, 60_000);
});
