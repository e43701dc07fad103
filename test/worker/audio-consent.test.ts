import { env, reset, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { api, call, closeSession, getRecord, uniqueId } from "../support/workerd/api.ts";
import { sessionStubOf } from "../support/workerd/session-do.ts";

afterEach(() => reset());

const MiB = 1024 * 1024;
const bucket = () => (env as unknown as { RECORDINGS: R2Bucket }).RECORDINGS;

const putAudio = (id: string, seq: number, bytes: Uint8Array, defer: boolean | "audio" = "audio") =>
  api.putAudio(id, seq, bytes, { intro: { agentId: 42, mode: "observe", deferUpload: defer } });
const chunk = (seed: number) => new Uint8Array(4 * MiB).fill(seed);

async function uploadIdOf(id: string): Promise<string | undefined> {
  return runInDurableObject(await sessionStubOf(id), (_i, state) => {
    const row = state.storage.sql.exec<{ json: string }>("SELECT json FROM audio_state WHERE id = 1").toArray()[0];
    return row ? (JSON.parse(row.json) as { uploadId?: string }).uploadId : undefined;
  });
}

describe("audio under deferred consent", { timeout: 120_000 }, () => {
  it("holds audio in the Durable Object (no upload, no object) until consent, then stores the whole WAV", async () => {
    const id = uniqueId();
    for (let seq = 0; seq < 3; seq++) expect((await putAudio(id, seq, chunk(seq + 1))).status).toBe(200);
    expect(await uploadIdOf(id)).toBeUndefined();
    expect((await bucket().list({ prefix: "audio/" })).objects).toEqual([]);

    expect((await call("POST", `/v1/sessions/${id}/consent`, {})).status).toBe(200);
    expect((await putAudio(id, 3, chunk(4))).status).toBe(200);
    expect(await uploadIdOf(id)).toBeTruthy();
    await closeSession(id, { lastSeq: -1, lastAudioSeq: 3 });
    const record = (await (await getRecord(id)).json()) as { audio: { key: string; bytes: number } };
    expect(record.audio.bytes).toBe(44 + 16 * MiB);
    const wav = new Uint8Array(await (await bucket().get(record.audio.key))!.arrayBuffer());
    for (let seq = 0; seq < 4; seq++) {
      expect([wav[44 + seq * 4 * MiB], wav[44 + (seq + 1) * 4 * MiB - 1]]).toEqual([seq + 1, seq + 1]);
    }
  });

  it("drops the held audio when the call ends without consent, keeping the rest of the record", async () => {
    const id = uniqueId();
    for (let seq = 0; seq < 3; seq++) expect((await putAudio(id, seq, chunk(seq + 1))).status).toBe(200);
    await closeSession(id, { lastSeq: -1, lastAudioSeq: 2 });
    expect(((await (await getRecord(id)).json()) as { audio: unknown }).audio).toBeNull();
    expect((await bucket().list({ prefix: "audio/" })).objects).toEqual([]);
    expect(await uploadIdOf(id)).toBeUndefined();
  });

  it("abortRecording aborts the upload in progress, deletes held bytes and refuses later chunks", async () => {
    const id = uniqueId();
    for (let seq = 0; seq < 3; seq++) expect((await putAudio(id, seq, chunk(seq + 1), false)).status).toBe(200);
    expect(await uploadIdOf(id)).toBeTruthy();
    expect((await call("POST", `/v1/sessions/${id}/abort-recording`, {})).status).toBe(200);
    const late = await putAudio(id, 3, chunk(4), false);
    expect(late.status).toBe(409);
    expect(await late.json()).toMatchObject({ error: "recording_aborted" });
    const held = await runInDurableObject(
      await sessionStubOf(id),
      (_i, state) =>
        state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM audio_chunk_rows WHERE data IS NOT NULL").one()
          .n,
    );
    expect(held).toBe(0);
    const closed = await closeSession(id, { lastSeq: -1, lastAudioSeq: 3 });
    expect(((await closed.json()) as { state: string }).state).toBe("finalized");
    expect(((await (await getRecord(id)).json()) as { audio: unknown }).audio).toBeNull();
    expect((await bucket().list({ prefix: "audio/" })).objects).toEqual([]);
  });
});
