/**
 * A false interruption on a real AgentSession: a noise from the user (an interim transcript, never a
 * final one) pauses the agent mid-reply; LiveKit's ParticipantAudioOutput drops what it had queued when
 * the next frame reaches its pause gate, and the reply resumes after the false-interruption timeout.
 * The recording's agent channel is what the AudioSource played: the reply before the pause, silence
 * while paused, the rest after the resume, and none of the dropped audio.
 */
import { describe, expect, it } from "vitest";
import { voice } from "@livekit/agents";
import {
  mismatchesWithPlayed,
  observedCall,
  recordedChannels,
  ScriptedSTT,
  sleep,
  startWithMicrophone,
  type Reply,
} from "./livekit-support.ts";
import { useHarness } from "./support.ts";

const STORY: Reply = { text: "A reply long enough to be paused and resumed.", seconds: 4.0, markers: [0.5, 3.5] };

const h = useHarness();

describe("observeLiveKitSession audio across a false interruption", () => {
  it("records the reply as it played: before the pause, silence while paused, the rest after the resume, nothing that was dropped", async () => {
    const call = observedCall(h, "livekit-pause", [["tell me a story", STORY]], {
      stt: new ScriptedSTT(),
      vad: null,
      aecWarmupDuration: 0, // LiveKit would otherwise hear silence instead of the user during the first reply
      turnHandling: {
        turnDetection: "stt",
        interruption: { resumeFalseInterruption: true, falseInterruptionTimeout: 800 },
      },
    });
    const { session, played, sessionId, observed, t0, room } = call;
    let resumed: boolean | undefined;
    session.on(
      voice.AgentSessionEventTypes.AgentFalseInterruption,
      (event: voice.AgentFalseInterruptionEvent) => void (resumed = event.resumed),
    );

    const { mic, say } = await startWithMicrophone(call);
    say("tell me a story", Date.now() + 300, 0.7);
    const story = await room.started(STORY.text);
    say("~hm", story.at + 1000, 0.3); // a noise: the agent pauses, then resumes
    await played(1);
    await sleep(300);
    await mic.stop();
    await session.close();

    await h.finalized(observed.closed);
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
