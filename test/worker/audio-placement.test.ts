import { abortAllDurableObjects, env, runDurableObjectAlarm } from "cloudflare:test";
import { expect, it } from "vitest";
import { isolateEachTest } from "../support/workerd/isolation.ts";
import { api, closeSession, getRecord, getStatus, uniqueId } from "../support/workerd/api.ts";
import { editStoredMeta, sessionStubOf } from "../support/workerd/session-do.ts";

const storage = isolateEachTest();

const RATE = 16_000;
/** 0.1 s of stereo frames, every byte `fill`. */
const FRAMES = 1600;
const chunk = (fill: number, frames = FRAMES) => new Uint8Array(frames * 4).fill(fill);
const intro = { agentId: 42, mode: "observe" as const };
const put = (id: string, seq: number, bytes: Uint8Array, startFrame?: number) =>
  api.putAudio(id, seq, bytes, { intro, sampleRate: RATE, ...(startFrame !== undefined ? { startFrame } : {}) });

async function pastGrace(id: string) {
  await editStoredMeta(id, (meta) => (meta.close.deadline = Date.now() - 1));
  await abortAllDurableObjects();
  await runDurableObjectAlarm(await sessionStubOf(id));
}

async function wavSamples(key: string): Promise<Uint8Array> {
  const object = await env.RECORDINGS.get(key);
  return new Uint8Array(await object!.arrayBuffer()).subarray(44);
}

it("keeps later audio at its true time when a chunk never arrives: silence of the exact length, listed as a gap", async () => {
  const id = uniqueId();
  expect((await put(id, 0, chunk(1), 0)).status).toBe(200);
  expect((await put(id, 2, chunk(3), 2 * FRAMES)).status).toBe(200);
  const closing = (await (await closeSession(id, { lastSeq: -1, lastAudioSeq: 2 })).json()) as { state: string };
  expect(closing.state).toBe("closing");
  await pastGrace(id);

  const record = (await (await getRecord(id)).json()) as {
    audio: { key: string; durationSeconds: number; gaps: unknown[] };
  };
  expect(record.audio).toMatchObject({ durationSeconds: 0.3, gaps: [{ startSeconds: 0.1, durationSeconds: 0.1 }] });
  const samples = await wavSamples(record.audio.key);
  const bytes = FRAMES * 4;
  expect(samples.byteLength).toBe(3 * bytes);
  expect([samples[0], samples[bytes - 1]]).toEqual([1, 1]);
  expect(samples.subarray(bytes, 2 * bytes).every((b) => b === 0)).toBe(true);
  expect([samples[2 * bytes], samples[3 * bytes - 1]]).toEqual([3, 3]);
});

it("refuses with 409 a chunk that arrives after its place was filled with silence, instead of acknowledging and dropping it", async () => {
  const id = uniqueId();
  await put(id, 0, chunk(1), 0);
  await put(id, 2, chunk(3), 2 * FRAMES);
  await closeSession(id, { lastSeq: -1, lastAudioSeq: 2 });
  // The record cannot be written yet: the recording is assembled, finalization waits for a retry.
  const faults = await storage.injectR2Faults({ keyPrefix: "records/", fail: { put: 1 } });
  await pastGrace(id);
  expect(((await (await getStatus(id)).json()) as { state: string }).state).toBe("closing");

  const late = await put(id, 1, chunk(2), FRAMES);
  expect(late.status).toBe(409);
  expect(await late.json()).toMatchObject({ error: "audio_chunk_late" });

  await editStoredMeta(id, (meta) => (meta.finalization.nextAttemptAt = Date.now() - 1));
  await abortAllDurableObjects();
  await runDurableObjectAlarm(await sessionStubOf(id));
  const record = (await (await getRecord(id)).json()) as { audio: { gaps: unknown[] } };
  expect(record.audio.gaps).toEqual([{ startSeconds: 0.1, durationSeconds: 0.1 }]);
});

it("refuses with 409 a chunk whose frames another chunk already holds", async () => {
  const id = uniqueId();
  expect((await put(id, 0, chunk(1), 0)).status).toBe(200);
  const overlap = await put(id, 1, chunk(2), FRAMES - 1);
  expect(overlap.status).toBe(409);
  expect(await overlap.json()).toMatchObject({ error: "audio_chunk_overlap" });
  expect((await put(id, 1, chunk(2), FRAMES)).status).toBe(200);
});

it("answers 413 naming the cap for audio past four hours of call, and keeps what was accepted", async () => {
  const id = uniqueId();
  expect((await put(id, 0, chunk(1), 0)).status).toBe(200);
  const tooLate = await put(id, 1, chunk(2), 4 * 60 * 60 * RATE);
  expect(tooLate.status).toBe(413);
  expect(await tooLate.json()).toMatchObject({
    error: "session_limit_exceeded",
    detail: expect.stringMatching(/audioSeconds/),
  });
  await closeSession(id, { lastSeq: -1, lastAudioSeq: 0 });
  const record = (await (await getRecord(id)).json()) as { audio: { durationSeconds: number } };
  expect(record.audio.durationSeconds).toBe(0.1);
});
