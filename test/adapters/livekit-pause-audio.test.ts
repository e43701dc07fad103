/**
 * A false interruption on a real AgentSession: a noise from the user (an interim transcript, never a
 * final one) pauses the agent mid-reply; LiveKit's ParticipantAudioOutput drops what it had queued when
 * the next frame reaches its pause gate, and the reply resumes after the false-interruption timeout.
 * The recording's agent channel is what the AudioSource played: the reply before the pause, silence
 * while paused, the rest after the resume, and none of the dropped audio.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initializeLogger, voice } from "@livekit/agents";
import { observeLiveKitSession } from "../../sdk/adapters/livekit.ts";
import type { Session } from "../../sdk/session.ts";
import {
  Microphone,
  mismatchesWithPlayed,
  recordedChannels,
  ScriptedAgent,
  ScriptedSTT,
  sleep,
  speaker,
  speeches,
  type Reply,
} from "./livekit-support.ts";
import { startHarness, uid, type Harness } from "./support.ts";

initializeLogger({ pretty: false, level: "warn" });

const STORY: Reply = { text: "A reply long enough to be paused and resumed.", seconds: 4.0, markers: [0.5, 3.5] };

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.stop());

describe("observeLiveKitSession audio across a false interruption", () => {
  it("records the reply as it played: before the pause, silence while paused, the rest after the resume, nothing that was dropped", async () => {
    const agent = new ScriptedAgent([STORY]);
    const session = new voice.AgentSession({
      llm: new voice.testing.FakeLLM([{ input: "tell me a story", content: STORY.text }]),
      stt: new ScriptedSTT(),
      vad: null,
      aecWarmupDuration: 0, // LiveKit would otherwise hear silence instead of the user during the first reply
      turnHandling: {
        turnDetection: "stt",
        interruption: { resumeFalseInterruption: true, falseInterruptionTimeout: 800 },
      },
    });
    const played = speeches(session);
    const sessionId = uid("livekit-pause");
    const observed = observeLiveKitSession(h.tracer(), session, { sessionId });
    const t0 = Date.parse((observed.session as unknown as Session).context.callStartedAt);
    let resumed: boolean | undefined;
    session.on(
      voice.AgentSessionEventTypes.AgentFalseInterruption,
      (event: voice.AgentFalseInterruptionEvent) => void (resumed = event.resumed),
    );

    const mic = new Microphone();
    const room = speaker(agent);
    session.input.audio = mic;
    session.output.audio = room.output;
    await session.start({ agent });
    mic.start();
    const say = (text: string, startsAt: number, seconds: number) => {
      agent.utterances.push(text);
      mic.say(text, startsAt, seconds);
    };
    say("tell me a story", Date.now() + 300, 0.7);
    const story = await room.started(STORY.text);
    say("~hm", story.at + 1000, 0.3); // a noise: the agent pauses, then resumes
    await played(1);
    await sleep(300);
    await mic.stop();
    await session.close();

    expect((await observed.closed)?.state).toBe("finalized");
    expect(h.errors).toEqual([]);
    expect(resumed).toBe(true);
    expect(room.clears.length).toBeGreaterThan(0); // the pause dropped queued audio

    const { right, rate, sampleOf } = await recordedChannels(h, sessionId, t0);
    const intervals = room.playedIntervals();
    // the pause shows in what played: a gap of at least the false-interruption timeout inside the reply
    const gaps = intervals.slice(1).map(([from], i) => from - intervals[i]![1]);
    expect(Math.max(...gaps)).toBeGreaterThan(500);
    expect(mismatchesWithPlayed(right, intervals, sampleOf, rate)).toEqual([]);
  }, 60_000);
});
