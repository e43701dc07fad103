import { abortAllDurableObjects, env, reset, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import {
  api,
  call,
  closeSession,
  fragment,
  getRecord,
  KEY,
  pcm,
  sendFragment,
  uniqueId,
} from "../support/workerd/api.ts";
import { editStoredMeta, sessionStubOf } from "../support/workerd/session-do.ts";

afterEach(() => reset());

const bucket = () => (env as unknown as { RECORDINGS: R2Bucket }).RECORDINGS;

const MiB = 1024 * 1024;
const putAudio = (id: string, seq: number, bytes: Uint8Array, headers: Record<string, string> = {}) =>
  api.putAudio(id, seq, bytes, { intro: { agentId: 42, mode: "observe" }, headers });

const concat = (parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let o = 0;
  for (const p of parts) out.set(p, o), (o += p.byteLength);
  return out;
};

/** -1 when equal, else the first differing index (deep-equal of megabytes would exhaust memory). */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.byteLength, b.byteLength);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.byteLength === b.byteLength ? -1 : n;
}

interface RecordJson {
  audio: { key: string; sampleRate: number; channels: number; durationSeconds: number; bytes: number } | null;
}

async function finalRecord(id: string): Promise<RecordJson> {
  const res = await getRecord(id);
  expect(res.status).toBe(200);
  return (await res.json()) as RecordJson;
}

/** Reads the stored WAV and checks its header by hand; returns the sample bytes. */
async function storedWav(key: string, sampleRate: number): Promise<Uint8Array> {
  const object = await bucket().get(key);
  expect(object).not.toBeNull();
  const bytes = new Uint8Array(await object!.arrayBuffer());
  const view = new DataView(bytes.buffer);
  const ascii = (o: number) => String.fromCharCode(...bytes.subarray(o, o + 4));
  expect([ascii(0), ascii(8), ascii(12), ascii(36)]).toEqual(["RIFF", "WAVE", "fmt ", "data"]);
  expect(view.getUint32(4, true)).toBe(bytes.byteLength - 8);
  expect(view.getUint16(20, true)).toBe(1);
  expect(view.getUint16(22, true)).toBe(2);
  expect(view.getUint32(24, true)).toBe(sampleRate);
  expect(view.getUint32(28, true)).toBe(sampleRate * 4);
  expect(view.getUint16(32, true)).toBe(4);
  expect(view.getUint16(34, true)).toBe(16);
  expect(view.getUint32(40, true)).toBe(bytes.byteLength - 44);
  return bytes.subarray(44);
}

async function audioState(
  id: string,
): Promise<{ parts: { partNumber: number; bytes: number }[]; uploadId?: string; partBytes: number }> {
  return runInDurableObject(await sessionStubOf(id), (_i, state) =>
    JSON.parse(state.storage.sql.exec<{ json: string }>("SELECT json FROM audio_state WHERE id = 1").one().json),
  );
}

describe("audio chunks", { timeout: 30_000 }, () => {
  it("stores a short call as one stereo WAV named in the record, byte-exact", async () => {
    const id = uniqueId();
    const chunks = [pcm(64_000, 1), pcm(64_000, 2), pcm(32_000, 3)];
    for (const [seq, bytes] of chunks.entries()) {
      const res = await putAudio(id, seq, bytes);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ ackedThrough: seq, missing: [] });
    }
    const closed = await closeSession(id, { lastSeq: -1, lastAudioSeq: 2 });
    expect(((await closed.json()) as { state: string }).state).toBe("finalized");
    const { audio } = await finalRecord(id);
    expect(audio).toMatchObject({ sampleRate: 16000, channels: 2, bytes: 44 + 160_000, durationSeconds: 2.5 });
    expect(audio!.key).toMatch(new RegExp(`^audio/[0-9a-f]{64}/${id}\\.wav$`));
    expect(firstDifference(await storedWav(audio!.key, 16000), concat(chunks))).toBe(-1);
  });

  it("acknowledges a repeated chunk without appending it twice, and refuses changed bytes with 409", async () => {
    const id = uniqueId();
    const first = pcm(4000, 7);
    expect((await putAudio(id, 0, first)).status).toBe(200);
    const again = await putAudio(id, 0, first);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ ackedThrough: 0, missing: [], bytes: 4000 });
    const changed = await putAudio(id, 0, pcm(4000, 8));
    expect(changed.status).toBe(409);
    expect(await changed.json()).toMatchObject({ error: "audio_chunk_conflict" });
    await closeSession(id, { lastSeq: -1, lastAudioSeq: 0 });
    const { audio } = await finalRecord(id);
    expect(firstDifference(await storedWav(audio!.key, 16000), first)).toBe(-1);
  });

  it("appends out-of-order chunks in chunkSeq order and waits at close for a missing one", async () => {
    const id = uniqueId();
    const chunks = [pcm(8000, 1), pcm(8000, 2), pcm(8000, 3)];
    let ack = await (await putAudio(id, 2, chunks[2]!)).json();
    expect(ack).toEqual({ ackedThrough: -1, missing: [0, 1], bytes: 0 });
    ack = await (await putAudio(id, 0, chunks[0]!)).json();
    expect(ack).toEqual({ ackedThrough: 0, missing: [1], bytes: 8000 });
    const closing = await closeSession(id, { lastSeq: -1, lastAudioSeq: 2 });
    expect(((await closing.json()) as { state: string }).state).toBe("closing");
    ack = await (await putAudio(id, 1, chunks[1]!)).json();
    expect(ack).toEqual({ ackedThrough: 2, missing: [], bytes: 24000 });
    const { audio } = await finalRecord(id);
    expect(firstDifference(await storedWav(audio!.key, 16000), concat(chunks))).toBe(-1);
  });

  it("uploads equal parts of at least 5 MiB as they fill and loses nothing across evictions", async () => {
    const id = uniqueId();
    const chunks = [0, 1, 2, 3].map((i) => pcm(3 * MiB, i + 10));
    for (const [seq, bytes] of chunks.entries()) {
      expect((await putAudio(id, seq, bytes)).status).toBe(200);
      await abortAllDurableObjects();
    }
    const during = await audioState(id);
    expect(during.uploadId).toBeTruthy();
    expect(during.parts.map((p) => p.partNumber)).toEqual([2]);
    await sendFragment(id, fragment(0));
    await abortAllDurableObjects();
    await closeSession(id, { lastSeq: 0, lastAudioSeq: 3 });
    const { audio } = await finalRecord(id);
    expect(audio).toMatchObject({ bytes: 44 + 12 * MiB, sampleRate: 16000 });
    expect(firstDifference(await storedWav(audio!.key, 16000), concat(chunks))).toBe(-1);
    const { parts, partBytes } = await audioState(id);
    expect(partBytes).toBeGreaterThanOrEqual(5 * MiB);
    expect(parts.map((p) => p.partNumber)).toEqual([1, 2, 3]);
    for (const part of parts.slice(0, -1)) expect(part.bytes).toBe(partBytes);
    expect(parts.at(-1)!.bytes).toBeLessThanOrEqual(partBytes);
    expect(parts.reduce((n, p) => n + p.bytes, 0)).toBe(44 + 12 * MiB);
  }, 120_000);

  it("finishes after a crash between completing the upload and recording it (eviction-safe finalize)", async () => {
    const id = uniqueId();
    const chunks = [0, 1, 2, 3].map((i) => pcm(3 * MiB, i + 20));
    for (const [seq, bytes] of chunks.entries()) expect((await putAudio(id, seq, bytes)).status).toBe(200);
    await closeSession(id, { lastSeq: -1, lastAudioSeq: 3 });
    const { audio } = await finalRecord(id);
    // Rewind to the moment after CompleteMultipartUpload: the object is whole, the DO has not noted it.
    await runInDurableObject(await sessionStubOf(id), async (_i, state) => {
      const row = JSON.parse(
        state.storage.sql.exec<{ json: string }>("SELECT json FROM audio_state WHERE id = 1").one().json,
      );
      delete row.result;
      row.completing = true;
      state.storage.sql.exec("UPDATE audio_state SET json = ? WHERE id = 1", JSON.stringify(row));
      await state.storage.setAlarm(Date.now() + 60_000);
    });
    await editStoredMeta(id, (meta) => {
      meta.state = "closing";
      meta.close.deadline = 0;
    });
    await abortAllDurableObjects();
    expect(await runDurableObjectAlarm(await sessionStubOf(id))).toBe(true);
    const status = (await (await call("GET", `/v1/sessions/${id}`)).json()) as { state: string };
    expect(status.state).toBe("finalized");
    const state = await audioState(id);
    expect((state as unknown as { result: unknown }).result).toEqual(audio);
    expect(firstDifference(await storedWav(audio!.key, 16000), concat(chunks))).toBe(-1);
  }, 120_000);

  it("refuses audio for a track session and stores nothing", async () => {
    const viaHeader = uniqueId();
    const res = await putAudio(viaHeader, 0, pcm(400, 1), { "x-cekura-mode": "track" });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ error: "audio_not_recorded" });

    const track = uniqueId();
    await sendFragment(track, fragment(0, [], { mode: "track" }));
    const noHeaders = await call("PUT", `/v1/sessions/${track}/audio/0`, pcm(400, 1), KEY, {
      "content-type": "application/octet-stream",
      "x-audio-sample-rate": "16000",
    });
    expect(noHeaders.status).toBe(403);
    await closeSession(track, { lastSeq: 0 });
    expect((await finalRecord(track)).audio).toBeNull();
    const keys = (await bucket().list({ prefix: "audio/" })).objects.map((o) => o.key);
    expect(keys.filter((k) => k.endsWith(`/${viaHeader}.wav`) || k.endsWith(`/${track}.wav`))).toEqual([]);
  });

  it("answers bad chunks with clear 4xx errors", async () => {
    const id = uniqueId();
    const cases: [Promise<Response>, number, string][] = [
      [putAudio(id, 0, pcm(400, 1), { "content-type": "application/json" }), 415, "unsupported_media_type"],
      [putAudio(id, 0, pcm(400, 1), { "x-audio-sample-rate": "abc" }), 400, "invalid_x_audio_sample_rate"],
      [putAudio(id, 0, pcm(402, 1)), 400, "invalid_audio_chunk"],
      [putAudio(id, 0, new Uint8Array(0)), 400, "empty_audio_chunk"],
      [putAudio(id, -1 as number, pcm(400, 1)), 400, "invalid_chunkseq"],
      [putAudio(id, 0, pcm(400, 1), { "x-audio-channels": "1" }), 400, "invalid_audio_format"],
      [putAudio(id, 0, pcm(4 * MiB + 4, 1)), 413, "payload_too_large"],
      [
        call("PUT", `/v1/sessions/${uniqueId()}/audio/0`, pcm(400, 1), KEY, {
          "content-type": "application/octet-stream",
          "x-audio-sample-rate": "16000",
        }),
        404,
        "session_not_found",
      ],
    ];
    for (const [pending, status, error] of cases) {
      const res = await pending;
      expect({ status: res.status, body: await res.json() }).toMatchObject({ status, body: { error } });
    }
    expect((await putAudio(id, 0, pcm(400, 1))).status).toBe(200);
    const otherRate = await putAudio(id, 1, pcm(400, 1), { "x-audio-sample-rate": "24000" });
    expect(otherRate.status).toBe(409);
    expect(await otherRate.json()).toMatchObject({ error: "audio_format_conflict" });
  });
});
