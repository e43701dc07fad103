/** captureAudio: false - the session's audio input and output stay exactly as the app and RoomIO set them, and no audio is recorded. */
import { describe, expect, it } from "vitest";
import { voice } from "@livekit/agents";
import { AudioFrame } from "@livekit/rtc-node";
import { observeLiveKitSession } from "../../sdk/adapters/livekit.ts";
import { Microphone, RATE, replyAudio, sleep } from "./livekit-support.ts";
import { uid, useHarness } from "./support.ts";

class DeviceOutput extends voice.AudioOutput {
  constructor() {
    super(RATE);
  }
  clearBuffer(): void {}
}

const h = useHarness();

describe("observeLiveKitSession with captureAudio: false", () => {
  it("leaves the session's audio input and output untouched and records no audio", async () => {
    const session = new voice.AgentSession({ vad: null });
    const sessionId = uid("livekit-no-audio");
    const observed = observeLiveKitSession(h.tracer(), session, { sessionId, captureAudio: false });
    const mic = new Microphone();
    const device = new DeviceOutput();
    session.input.audio = mic;
    session.output.audio = device;
    expect(session.input.audio).toBe(mic);
    expect(session.output.audio).toBe(device);
    expect(Object.hasOwn(device, "captureFrame")).toBe(false);

    mic.start();
    mic.say("hello", Date.now(), 0.3);
    const pcm = replyAudio(0.5, [0.1]);
    device.onPlaybackStarted(Date.now());
    await device.captureFrame(new AudioFrame(pcm, RATE, 1, pcm.length));
    device.flush();
    device.onPlaybackFinished({ playbackPosition: 0.5, interrupted: false });
    await sleep(500);
    await mic.stop();
    session.emit(voice.AgentSessionEventTypes.Close, voice.createCloseEvent(voice.CloseReason.USER_INITIATED));

    await h.finalized(observed.closed);
    expect((await h.record(sessionId)).audio).toBeNull();
  }, 30_000);
});
