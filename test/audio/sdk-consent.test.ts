import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CekuraTracer, type SdkError } from "../../sdk/index.ts";
import type { Session } from "../../sdk/session.ts";
import { startLocalWorker, type LocalWorker } from "../../worker/local/local-worker.ts";
import { deinterleave, noise } from "./signal.ts";
import { listStoredKeys, readStoredObject } from "../support/r2-read.ts";
import { parseWavStrict } from "./wav-check.ts";

let worker: LocalWorker;
const errors: SdkError[] = [];
const API_KEY = `audio-consent-${crypto.randomUUID()}`;

beforeAll(async () => {
  worker = await startLocalWorker();
});
afterAll(async () => {
  await worker?.stop();
});

const tracer = () =>
  new CekuraTracer({
    apiKey: API_KEY,
    agentId: 42,
    ingestUrl: worker.url,
    enableOtelTraces: false,
    captureLogs: false,
    onError: (e) => errors.push(e),
  });

async function audioOf(id: string) {
  const res = await fetch(`${worker.url}/v1/sessions/${id}/record`, {
    headers: { authorization: `Bearer ${API_KEY}` },
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { audio: { key: string; durationSeconds: number } | null }).audio;
}

function speak(session: Session, seconds: number, seed: number) {
  const t0 = Date.parse(session.context.callStartedAt);
  const pcm = noise(seconds * 16000, seed);
  for (let f = 0; f < seconds * 50; f++)
    session.audio("user", pcm.subarray(f * 320, (f + 1) * 320), 16000, t0 + f * 20);
  return pcm;
}

describe("SDK audio with consent", { timeout: 120_000 }, () => {
  it("deferUpload 'audio': audio waits in the Worker until startAudioUpload(), then is stored whole", async () => {
    const id = `defer-${crypto.randomUUID()}`;
    const session = tracer().observe({ sessionId: id, deferUpload: "audio" }) as unknown as Session;
    const pcm = speak(session, 5, 1);
    await session.flush();
    expect((await listStoredKeys(worker.persistTo, "audio/")).filter((k) => k.includes(id))).toEqual([]);
    await session.startAudioUpload();
    expect((await session.close()).state).toBe("finalized");
    const audio = await audioOf(id);
    expect(audio?.durationSeconds).toBe(5);
    const { left } = deinterleave(parseWavStrict((await readStoredObject(worker.persistTo, audio!.key))!).data);
    expect(Buffer.from(left.buffer).equals(Buffer.from(pcm.buffer))).toBe(true);
  });

  it("abortRecording() mid-call: close does not wait for audio, the record has none, storage holds none", async () => {
    const id = `abort-rec-${crypto.randomUUID()}`;
    const session = tracer().observe({ sessionId: id }) as unknown as Session;
    speak(session, 3, 2);
    await session.flush();
    await session.abortRecording();
    session.transcript({ role: "user", text: "still recorded" });
    const status = await session.close();
    expect(status.state).toBe("finalized");
    expect(await audioOf(id)).toBeNull();
    expect((await listStoredKeys(worker.persistTo, "audio/")).filter((k) => k.includes(id))).toEqual([]);
    // capture_gap: these calls speak on the user channel only, which close() points out.
    expect(errors.filter((e) => e.code !== "recording_aborted" && e.code !== "capture_gap")).toEqual([]);
  });
});
