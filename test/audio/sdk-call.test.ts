import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { CekuraTracer, type SdkError } from "../../sdk/index.ts";
import type { Session } from "../../sdk/session.ts";
import { startLocalWorker, type LocalWorker } from "../../worker/local/local-worker.ts";
import { expectMarkers } from "./expect-markers.ts";
import { deinterleave, noise } from "./signal.ts";
import { listStoredKeys, readStoredObject } from "../support/r2-read.ts";
import { parseWavStrict } from "./wav-check.ts";

let worker: LocalWorker;
const errors: SdkError[] = [];
const API_KEY = `audio-e2e-${crypto.randomUUID()}`;

beforeAll(async () => {
  worker = await startLocalWorker();
});
beforeEach(() => {
  callMs = 0;
});
afterAll(async () => {
  await worker?.stop();
});

/** The call's clock (ms since observe()): the test plays 200 s of call faster than real time. */
let callMs = 0;

function tracer(sampleRate = 16000) {
  return new CekuraTracer({
    apiKey: API_KEY,
    agentId: 42,
    ingestUrl: worker.url,
    enableOtelTraces: false,
    captureLogs: false,
    onError: (e) => errors.push(e),
    audio: { sampleRate, clock: () => callMs },
  });
}

async function record(id: string): Promise<{
  audio: { key: string; sampleRate: number; channels: number; durationSeconds: number; bytes: number } | null;
}> {
  const res = await fetch(`${worker.url}/v1/sessions/${id}/record`, {
    headers: { authorization: `Bearer ${API_KEY}` },
  });
  expect(res.status).toBe(200);
  return (await res.json()) as never;
}

const tone = (rate: number, ms: number, freq: number) =>
  Int16Array.from({ length: Math.round((rate * ms) / 1000) }, (_, i) =>
    Math.round(12000 * Math.sin((2 * Math.PI * freq * i) / rate)),
  );

describe("audio recorded through the SDK into the local Worker", () => {
  it("stores a 200-second two-channel call as one WAV with every marker on its channel within 20 ms", async () => {
    const id = `call-${crypto.randomUUID()}`;
    callMs = 0;
    const session = tracer(16000).observe({ sessionId: id }) as unknown as Session;
    const t0 = Date.parse(session.context.callStartedAt);
    const userMarkers = [2.0, 37.31, 88.88, 123.45, 177.7, 199.5];
    const assistantStarts = [5.5, 61.23, 140.04, 190.1];
    const assistantMarkers = assistantStarts.map((s) => s + 0.4);

    // User: the microphone, 16 kHz, a 20 ms frame every 20 ms, a 60 ms 1 kHz tone at each marker.
    const userRate = 16000;
    const frame = 320;
    const user = new Int16Array(200 * userRate);
    for (const m of userMarkers)
      user.set(tone(userRate, 60, 1000).subarray(0, user.length - Math.round(m * userRate)), Math.round(m * userRate));
    // Assistant: TTS at 24 kHz (resampled), 2 s utterances pushed as bytes in 100 ms frames, or as one burst.
    const ttsRate = 24000;
    const utterance = new Int16Array(2 * ttsRate);
    utterance.set(tone(ttsRate, 80, 2000), Math.round(0.4 * ttsRate));
    const utteranceBytes = new Uint8Array(utterance.buffer);

    let nextUtterance = 0;
    for (let f = 0; f < user.length / frame; f++) {
      const tMs = f * 20;
      callMs = tMs;
      session.audio("user", user.subarray(f * frame, (f + 1) * frame), userRate, t0 + tMs);
      const start = assistantStarts[nextUtterance];
      if (start !== undefined && tMs >= start * 1000) {
        if (nextUtterance === 2) session.audio("assistant", utterance, ttsRate, t0 + start * 1000);
        else
          for (let j = 0; j < 20; j++)
            session.audio(
              "assistant",
              utteranceBytes.subarray(j * 4800, (j + 1) * 4800),
              ttsRate,
              t0 + start * 1000 + j * 100,
            );
        nextUtterance++;
      }
      if (f % 500 === 499) await session.flush();
    }
    const status = await session.close();
    expect(status.state).toBe("finalized");
    // An audio-only call: close() warns that no transcript was recorded, and nothing else goes wrong.
    expect(errors.map((e) => e.code)).toEqual(["capture_gap"]);

    const { audio } = await record(id);
    expect(audio).toMatchObject({ sampleRate: 16000, channels: 2, durationSeconds: 200, bytes: 44 + 200 * 16000 * 4 });
    const wav = parseWavStrict((await readStoredObject(worker.persistTo, audio!.key))!);
    expect(wav).toMatchObject({ sampleRate: 16000, channels: 2 });
    expect(wav.data.byteLength).toBe(200 * 16000 * 4);
    const { left, right } = deinterleave(wav.data);
    const rate = 16000;
    const check = { rate, threshold: 3000, windowS: 0.3 };
    expectMarkers(userMarkers, left, right, check);
    expectMarkers(assistantMarkers, right, left, check);
  }, 300_000);

  it("round-trips raw PCM byte-exact when no resampling happens", async () => {
    const id = `exact-${crypto.randomUUID()}`;
    const session = tracer(16000).observe({ sessionId: id }) as unknown as Session;
    const t0 = Date.parse(session.context.callStartedAt);
    const seconds = 30;
    const userPcm = noise(seconds * 16000, 11);
    const assistantPcm = noise(seconds * 16000, 12);
    for (let f = 0; f < seconds * 50; f++) {
      session.audio("user", userPcm.subarray(f * 320, (f + 1) * 320), 16000, t0 + f * 20);
      session.audio("assistant", assistantPcm.subarray(f * 320, (f + 1) * 320), 16000, t0 + f * 20);
    }
    expect((await session.close()).state).toBe("finalized");
    const { audio } = await record(id);
    const wav = parseWavStrict((await readStoredObject(worker.persistTo, audio!.key))!);
    const { left, right } = deinterleave(wav.data);
    expect(left.length).toBe(userPcm.length);
    expect(Buffer.from(left.buffer).equals(Buffer.from(userPcm.buffer))).toBe(true);
    expect(Buffer.from(right.buffer).equals(Buffer.from(assistantPcm.buffer))).toBe(true);
  }, 120_000);

  it("makes audio() a counted no-op on a track session: nothing is sent or stored", async () => {
    const id = `track-${crypto.randomUUID()}`;
    const session = tracer().track({ sessionId: id }) as unknown as Session;
    session.transcript({ role: "user", text: "hello" });
    session.audio("user", new Int16Array(1600), 16000);
    session.audio("assistant", new Uint8Array(640), 24000);
    expect(session.ignoredAudioSamples).toBe(1600 + 320);
    expect((await session.close()).state).toBe("finalized");
    expect((await record(id)).audio).toBeNull();
    expect((await listStoredKeys(worker.persistTo, "audio/")).filter((k) => k.endsWith(`/${id}.wav`))).toEqual([]);
  });
});
