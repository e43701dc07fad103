/**
 * LiveKit puts outputs around the room's audio output (its recorder, the transcript synchronizer): the
 * session then speaks into the outer one, which forwards frames down the chain and re-emits the room
 * output's playback events. The agent channel follows the output assigned last and is still placed
 * where the room output played it, once.
 */
import { describe, expect, it } from "vitest";
import { voice } from "@livekit/agents";
import type { AudioFrame } from "@livekit/rtc-node";
import { findMarker, mismatchesWithPlayed, observedCall, recordedChannels, type Reply } from "./livekit-support.ts";
import { useHarness } from "./support.ts";

/** An output wrapping another, as LiveKit's own wrappers do: frames down the chain, events up (the base class relays them). */
class ChainedOutput extends voice.AudioOutput {
  constructor(next: voice.AudioOutput) {
    super(next.sampleRate, next, { pause: true });
  }
  override async captureFrame(frame: AudioFrame): Promise<void> {
    await super.captureFrame(frame);
    await this.nextInChain!.captureFrame(frame);
  }
  override flush(): void {
    super.flush();
    this.nextInChain!.flush();
  }
  clearBuffer(): void {
    this.nextInChain!.clearBuffer();
  }
}

const REPLY: Reply = { text: "Spoken through a chain of outputs.", seconds: 1.5, markers: [0.4, 1.2] };

const h = useHarness();

describe("observeLiveKitSession agent channel through wrapped outputs", () => {
  it("follows the output assigned last and places its audio where the room output played it, once", async () => {
    const { agent, session, played, sessionId, observed, t0, room } = observedCall(h, "livekit-chain", [["go", REPLY]]);
    session.output.audio = room.output; // RoomIO
    session.output.audio = new ChainedOutput(new ChainedOutput(session.output.audio)); // wrappers around it
    await session.start({ agent });
    session.generateReply({ userInput: "go" });
    await played(1);
    await session.close();
    await h.finalized(observed.closed);

    const { left, right, rate, sampleOf } = await recordedChannels(h, sessionId, t0);
    for (const m of REPLY.markers) {
      const at = sampleOf(room.playedAt(REPLY.text, m)!);
      const { found } = findMarker(right, left, at, rate);
      expect(Math.abs((found - at) / rate) * 1000, `marker @ ${m} s off by (ms)`).toBeLessThanOrEqual(20);
    }
    expect(mismatchesWithPlayed(right, room.playedIntervals(), sampleOf, rate)).toEqual([]);
  }, 60_000);
});
