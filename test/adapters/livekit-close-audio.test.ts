/**
 * Closing a real AgentSession while the agent is still talking: LiveKit stops the reply and the output
 * reports its playout after the session has let go of it. The recording keeps the reply up to where it
 * stopped, nothing after, on a timeline whose zero is observe() (the idle time before start is silence).
 */
import { describe, expect, it } from "vitest";
import { rms } from "../audio/signal.ts";
import { findMarker, observedCall, QUIET, recordedChannels, sleep, type Reply } from "./livekit-support.ts";
import { useHarness } from "./support.ts";

const LONG: Reply = { text: "This answer is cut short by the end of the call.", seconds: 3.0, markers: [0.3, 2.5] };
const IDLE_BEFORE_START_MS = 500;
const CLOSE_AFTER_MS = 1000;

const h = useHarness();

describe("observeLiveKitSession audio at close", () => {
  it("keeps the reply that was playing when the session closed up to where it stopped, and nothing after", async () => {
    const { agent, session, sessionId, observed, t0, room } = observedCall(h, "livekit-close", [["talk", LONG]]);
    await sleep(IDLE_BEFORE_START_MS);

    session.output.audio = room.output;
    await session.start({ agent });
    session.generateReply({ userInput: "talk" });
    const started = await room.started(LONG.text);
    await sleep(CLOSE_AFTER_MS);
    const closing = Date.now();
    await session.close();

    await h.finalized(observed.closed);
    // Where playout really stopped: the AudioSource's queue cleared at close, or ran out before it.
    const stoppedAt = room.clears[0] ?? Math.min(closing, room.plays.at(-1)!.at + 20);
    expect(stoppedAt - started.at).toBeLessThan(LONG.markers[1]! * 1000);

    const { left, right, rate, sampleOf } = await recordedChannels(h, sessionId, t0);
    // The timeline's zero is observe(): silence until the reply started playing.
    let first = 0;
    while (first < right.length && right[first] === 0) first++;
    expect(Math.abs((first - sampleOf(started.at)) / rate) * 1000, "reply starts off by (ms)").toBeLessThanOrEqual(20);
    expect(first / rate).toBeGreaterThan(IDLE_BEFORE_START_MS / 1000);
    // The marker that played is where it played; the reply is there up to the stop, then nothing.
    const marker = sampleOf(room.playedAt(LONG.text, LONG.markers[0]!)!);
    const { found, leaked } = findMarker(right, left, marker, rate);
    expect(Math.abs((found - marker) / rate) * 1000, "marker off by (ms)").toBeLessThanOrEqual(20);
    expect(leaked).toBe(false);
    const stop = sampleOf(stoppedAt);
    expect(rms(right, first + Math.round(0.05 * rate), stop - Math.round(0.05 * rate))).toBeGreaterThan(QUIET / 2);
    const after = right.subarray(stop + Math.round(0.02 * rate));
    expect(after.every((s) => s === 0)).toBe(true);
  }, 60_000);
});
