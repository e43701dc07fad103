import { abortAllDurableObjects, env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { expect, it } from "vitest";
import { isolateEachTest } from "../support/workerd/isolation.ts";
import { SESSION_CAPS } from "../../worker/session/caps.ts";
import { closeSession, getRecord, ONE_FRAME, putOneFrame, uniqueId } from "../support/workerd/api.ts";
import { editStoredMeta, sessionStubOf } from "../support/workerd/session-do.ts";

isolateEachTest();

const RATE = 16_000;
const put = (id: string, seq: number, startFrame: number) => putOneFrame(id, seq, startFrame, RATE);

async function finalizeNow(id: string) {
  await editStoredMeta(id, (meta) => (meta.close.deadline = Date.now() - 1));
  await abortAllDurableObjects();
  await runDurableObjectAlarm(await sessionStubOf(id));
}

type RecordAudio = {
  bytes: number;
  gaps: { startSeconds: number; durationSeconds: number }[];
  gapTotals?: { count: number; durationSeconds: number };
};

/**
 * Stores chunks 1..count-1 as the audio store writes them (one row each, at frame `frameOf(seq)`), as if
 * received: sending thousands of requests one by one is slow inside vitest-pool-workers, which slows down
 * with every write it tracks, not in workerd itself.
 */
async function storeChunks(id: string, count: number, frameOf: (seq: number) => number) {
  await runInDurableObject(await sessionStubOf(id), (_instance, state) => {
    const hash = state.storage.sql.exec<{ hash: string }>("SELECT hash FROM audio_chunk_rows WHERE seq = 0").one().hash;
    for (let seq = 1; seq < count; seq++)
      state.storage.sql.exec(
        "INSERT INTO audio_chunk_rows (id, seq, start_byte, bytes, hash, data) VALUES (?, ?, ?, ?, ?, ?)",
        seq * 16,
        seq,
        frameOf(seq) * 4,
        4,
        hash,
        ONE_FRAME.slice().buffer,
      );
  });
  await abortAllDurableObjects();
}

it("lists the first 1,000 gaps of a recording with thousands of holes and gives the count and length of all of them", async () => {
  const id = uniqueId();
  const chunks = SESSION_CAPS.listedAudioGaps + 2;
  expect((await put(id, 0, 0)).status).toBe(200);
  // Chunk i holds frame 2i: a one-frame hole between every two chunks.
  await storeChunks(id, chunks, (seq) => 2 * seq);
  await closeSession(id, { lastSeq: -1, lastAudioSeq: chunks - 1 });
  await finalizeNow(id);

  const { audio } = (await (await getRecord(id)).json()) as { audio: RecordAudio };
  expect(audio.bytes).toBe(44 + (2 * chunks - 1) * 4);
  expect(audio.gaps).toHaveLength(SESSION_CAPS.listedAudioGaps);
  expect(audio.gaps[0]).toEqual({ startSeconds: 0, durationSeconds: 0 });
  expect(audio.gapTotals).toEqual({
    count: chunks - 1,
    durationSeconds: Math.round(((chunks - 1) / RATE) * 1000) / 1000,
  });
});

it("refuses a chunk past the audioChunks cap with 413 naming the cap, still acknowledges a repeated chunk, and finalizes the capped recording", async () => {
  const id = uniqueId();
  expect((await put(id, 0, 0)).status).toBe(200);
  await storeChunks(id, SESSION_CAPS.audioChunks, (seq) => seq);

  const over = await put(id, SESSION_CAPS.audioChunks, SESSION_CAPS.audioChunks);
  expect(over.status).toBe(413);
  const body = (await over.json()) as { error: string; detail: string };
  expect(body.error).toBe("session_limit_exceeded");
  expect(body.detail).toContain("audioChunks cap");
  expect((await put(id, 0, 0)).status).toBe(200);

  await closeSession(id, { lastSeq: -1, lastAudioSeq: SESSION_CAPS.audioChunks - 1 });
  await finalizeNow(id);
  const { audio } = (await (await getRecord(id)).json()) as { audio: RecordAudio & { key: string } };
  expect(audio.bytes).toBe(44 + SESSION_CAPS.audioChunks * 4);
  expect(audio.gaps).toEqual([]);
  const wav = new Uint8Array(await (await env.RECORDINGS.get(audio.key))!.arrayBuffer());
  expect([...wav.subarray(44 + 4 * (SESSION_CAPS.audioChunks - 1))]).toEqual([1, 2, 3, 4]);
});
