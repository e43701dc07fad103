/**
 * A barge-in through the real @openai/agents-realtime WebSocket transport, against the local fake GA
 * realtime server (test/support/fake-realtime.ts, 127.0.0.1): the server hands over a 3 s reply at once,
 * the app interrupts after about a second, the transport truncates at `audio_end_ms`. The recording's
 * right channel must play the reply from its first delta and stop where the truncate says it stopped.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RealtimeAgent, RealtimeSession } from "@openai/agents-realtime";
import { observeRealtimeSession } from "../../sdk/adapters/openai-realtime.ts";
import { startFakeRealtime, type FakeRealtime } from "../support/fake-realtime.ts";
import { deinterleave } from "../audio/signal.ts";
import { parseWavStrict } from "../audio/wav-check.ts";
import { lastAbove, markerSignal, onsetOf } from "../audio/paced-source.ts";
import { API_KEY, startHarness, uid, type Harness } from "./support.ts";

const TTS_RATE = 24_000;
const WAV_RATE = 16_000;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

let h: Harness;
let fake: FakeRealtime;
beforeAll(async () => {
  h = await startHarness();
  fake = await startFakeRealtime();
});
afterAll(async () => {
  await fake?.stop();
  await h?.stop();
});

describe("observeRealtimeSession: barge-in over the WebSocket transport", () => {
  it("records the reply as played and cuts the right channel where conversation.item.truncate says playback stopped", async () => {
    const markers = [0.2, 0.7, 1.8, 2.5];
    // A quiet bed under the markers: any of the reply left after the cut shows on the channel.
    const reply = markerSignal(TTS_RATE, 3, markers, 2500);
    fake.set({ script: [{ audio: new Uint8Array(reply.buffer), transcript: "a long answer", chunkBytes: 9600 }] });

    const agent = new RealtimeAgent({ name: "Assistant", instructions: "Be brief." });
    const session = new RealtimeSession(agent, { transport: "websocket", model: "gpt-realtime" });
    const sessionId = uid("rt-barge-in");
    const observed = observeRealtimeSession(h.tracer(), session, { sessionId });
    const t0 = Date.parse(
      (observed.session as unknown as { context: { callStartedAt: string } }).context.callStartedAt,
    );
    let firstAudioAt: number | undefined;
    session.on("audio", () => {
      firstAudioAt ??= Date.now();
    });

    await session.connect({ apiKey: "offline", url: fake.url });
    session.transport.sendEvent({ type: "response.create" });
    await sleep(1000);
    session.interrupt(); // what server VAD's speech_started does: the transport truncates the reply
    await sleep(200);
    const conn = fake.connections[0]!;
    expect(conn.truncations).toHaveLength(1);
    const audioEndMs = conn.truncations[0]!.audio_end_ms;
    expect(audioEndMs).toBeGreaterThan(800);
    expect(audioEndMs).toBeLessThan(1500);
    await sleep(400);
    session.close();
    await observed.closed;

    const record = await h.record(sessionId);
    expect(record.audio?.key).toBeTruthy();
    const response = await fetch(`${h.worker.url}/inspect/${encodeURIComponent(sessionId)}/audio.wav`, {
      headers: { authorization: `Bearer ${API_KEY}` },
    });
    expect(response.status).toBe(200);
    const { right } = deinterleave(parseWavStrict(new Uint8Array(await response.arrayBuffer())).data);

    const played = firstAudioAt! - t0;
    for (const m of markers.filter((m) => m * 1000 < audioEndMs - 100)) {
      const at = played + m * 1000;
      const found = onsetOf(
        right,
        6000,
        Math.round(((at - 150) * WAV_RATE) / 1000),
        Math.round(((at + 150) * WAV_RATE) / 1000),
      );
      expect(found, `marker at ${m} s`).toBeGreaterThanOrEqual(0);
      expect(Math.abs((found * 1000) / WAV_RATE - at), `marker at ${m} s is off by (ms)`).toBeLessThanOrEqual(20);
    }
    const cut = played + audioEndMs;
    const last = (lastAbove(right, 1000) * 1000) / WAV_RATE;
    expect(
      Math.abs(last - cut),
      `the reply stops at the truncate (${cut} ms), its last sound is at ${last} ms`,
    ).toBeLessThanOrEqual(20);
    const placement = record.logs.find((l) => l.message === "audio placement");
    expect(placement?.attributes?.assistant).toMatchObject({ runs: 1 });
    expect((placement?.attributes?.assistant as { cutMs: number }).cutMs).toBeGreaterThan(1000);
  }, 60_000);
});
