/**
 * The agent channel from an output's playback events alone, the cases LiveKit's own recorder is tested
 * for: runs with a stall between them, a sink that reports only its start and finish, an interruption
 * that discards the rest, and a finish that lands while the session is closing. The output is LiveKit's
 * AudioOutput base class driven by hand (as a device sink would report), on a real AgentSession.
 */
import { describe, expect, it } from "vitest";
import { voice } from "@livekit/agents";
import { AudioFrame } from "@livekit/rtc-node";
import { observeLiveKitSession } from "../../sdk/adapters/livekit.ts";
import type { Session } from "../../sdk/session.ts";
import { rms } from "../audio/signal.ts";
import { findMarker, QUIET, RATE, recordedChannels, replyAudio, sleep } from "./livekit-support.ts";
import { uid, useHarness } from "./support.ts";

/** A device sink: accepts frames, reports playback when the test says so; `dropping` drops frames uncounted. */
class DeviceOutput extends voice.AudioOutput {
  dropping = false;
  constructor() {
    super(RATE);
  }
  override async captureFrame(frame: AudioFrame): Promise<void> {
    if (!this.dropping) await super.captureFrame(frame);
  }
  clearBuffer(): void {}
}

const h = useHarness();

async function call() {
  const session = new voice.AgentSession({ vad: null });
  const sessionId = uid("livekit-playback");
  const observed = observeLiveKitSession(h.tracer(), session, { sessionId });
  const t0 = Date.parse((observed.session as unknown as Session).context.callStartedAt);
  const device = new DeviceOutput();
  session.output.audio = device; // as RoomIO assigns it
  /** The agent hands a reply to the output (faster than real time, as TTS does) and ends the segment. */
  const speak = async (seconds: number, markers: number[]) => {
    const pcm = replyAudio(seconds, markers);
    for (let i = 0; i < pcm.length; i += 480)
      await session.output.audio!.captureFrame(new AudioFrame(pcm.slice(i, i + 480), RATE, 1, 480));
    session.output.audio!.flush();
  };
  const until = (epochMs: number) => sleep(epochMs - Date.now());
  /** Speaks a segment, reports its playback started `leadMs` later, and waits `playedMs`; returns the start. */
  const startPlaying = async (seconds: number, markers: number[], playedMs: number, leadMs = 100) => {
    await speak(seconds, markers);
    const started = Date.now() + leadMs;
    await until(started);
    device.onPlaybackStarted(started);
    await until(started + playedMs);
    return started;
  };
  const finish = async () => {
    session.emit(voice.AgentSessionEventTypes.Close, voice.createCloseEvent(voice.CloseReason.USER_INITIATED));
    await h.finalized(observed.closed);
    return recordedChannels(h, sessionId, t0);
  };
  return { session, device, speak, until, startPlaying, finish };
}

/** Expects the loud marker at `atMs` on the right channel within 20 ms. */
function expectMarker(left: Int16Array, right: Int16Array, rate: number, at: number, label: string) {
  const { found, leaked } = findMarker(right, left, at, rate);
  expect(found, `${label}: no marker`).toBeGreaterThanOrEqual(0);
  expect(Math.abs((found - at) / rate) * 1000, `${label} off by (ms)`).toBeLessThanOrEqual(20);
  expect(leaked).toBe(false);
}

const silent = (x: Int16Array, from: number, to: number) => x.subarray(from, to).every((s) => s === 0);

describe("observeLiveKitSession agent channel by playback events", () => {
  it("places each reported run where it played and keeps a stall between runs silent", async () => {
    const c = await call();
    const T = await c.startPlaying(1.0, [0.2, 0.7], 500, 200);
    c.device.onPlaybackProgressed({ startedAt: T, offset: 0, duration: 500 });
    await c.until(T + 1500); // the device stalled for 500 ms
    c.device.onPlaybackProgressed({ startedAt: T + 1000, offset: 500, duration: 500 });
    c.device.onPlaybackFinished({ playbackPosition: 1.0, interrupted: false });
    await sleep(1600);

    const { left, right, rate, sampleOf } = await c.finish();
    expect(right.length).toBeGreaterThan(sampleOf(T + 1700));
    expectMarker(left, right, rate, sampleOf(T + 200), "first run's marker");
    expectMarker(left, right, rate, sampleOf(T + 1200), "second run's marker");
    expect(silent(right, sampleOf(T + 520), sampleOf(T + 980)), "the stall is silent").toBe(true);
    expect(silent(right, 0, sampleOf(T - 20)) && silent(right, sampleOf(T + 1520), right.length)).toBe(true);
  }, 30_000);

  it("places a sink's segment by its start and finish alone, and keeps only what played before an interruption", async () => {
    const c = await call();
    const T = await c.startPlaying(0.6, [0.1], 600);
    c.device.onPlaybackFinished({ playbackPosition: 0.6, interrupted: false });

    const U = await c.startPlaying(2.0, [0.2, 1.5], 700);
    c.device.onPlaybackFinished({ playbackPosition: 0.7, interrupted: true }); // the rest was cleared
    await sleep(1600); // the recording runs on (silence is padded up to a second before the close)

    const { left, right, rate, sampleOf } = await c.finish();
    expectMarker(left, right, rate, sampleOf(T + 100), "first segment's marker");
    expectMarker(left, right, rate, sampleOf(U + 200), "interrupted segment's marker");
    expect(rms(right, sampleOf(U + 600), sampleOf(U + 690)), "played up to the interruption").toBeGreaterThan(
      QUIET / 2,
    );
    expect(right.length).toBeGreaterThan(sampleOf(U + 1000));
    expect(silent(right, sampleOf(U + 720), right.length), "nothing after the interruption").toBe(true);
  }, 30_000);

  it("does not record a frame the output dropped without counting it, nor let it shift the next segment", async () => {
    const c = await call();
    // a frame held at the output's gate while an interruption cleared it: dropped, never counted
    c.device.dropping = true;
    const dropped = replyAudio(0.2, [0.0]);
    await c.session.output.audio!.captureFrame(new AudioFrame(dropped, RATE, 1, dropped.length));
    c.device.dropping = false;
    const T = await c.startPlaying(0.6, [0.3], 600);
    c.device.onPlaybackFinished({ playbackPosition: 0.6, interrupted: false });
    await sleep(1600);

    const { left, right, rate, sampleOf } = await c.finish();
    expectMarker(left, right, rate, sampleOf(T + 300), "the segment's marker");
    expect(silent(right, 0, sampleOf(T - 20)), "the dropped frame is not recorded").toBe(true);
    expect(silent(right, sampleOf(T + 620), right.length)).toBe(true);
  }, 30_000);

  it("waits at close for the playback finish still in flight and keeps the segment it settles", async () => {
    const c = await call();
    // the device is behind: the session closes before the output reports the end of playout
    const T = await c.startPlaying(1.0, [0.8], 500);
    setTimeout(() => c.device.onPlaybackFinished({ playbackPosition: 1.0, interrupted: false }), 700);

    const { left, right, rate, sampleOf } = await c.finish();
    expectMarker(left, right, rate, sampleOf(T + 800), "marker played after close began");
    expect(silent(right, sampleOf(T + 1020), right.length)).toBe(true);
  }, 30_000);

  it("takes playback reports without usable numbers as no report: the segment plays from when its start came", async () => {
    const c = await call();
    await c.speak(0.6, [0.1]);
    await sleep(400); // the device starts late: a placement from the frames' hand-over alone would be 400 ms early
    const started = Date.now();
    c.device.onPlaybackStarted(Number.NaN);
    c.device.onPlaybackProgressed({ startedAt: Number.NaN, offset: 0, duration: Number.NaN });
    await c.until(started + 600);
    c.device.onPlaybackFinished({ playbackPosition: Number.NaN, interrupted: false });
    await sleep(1600);

    const { left, right, rate, sampleOf } = await c.finish();
    expectMarker(left, right, rate, sampleOf(started + 100), "the segment's marker");
    expect(silent(right, sampleOf(started + 620), right.length)).toBe(true);
  }, 30_000);
});
