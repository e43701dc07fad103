/**
 * A repeated audio chunk is compared with the bytes stored for its seq (no hash is kept per chunk):
 * the same bytes are acknowledged again, other bytes are refused with 409, also after an eviction and
 * for a chunk stored in more than one row.
 */
import { abortAllDurableObjects, reset } from "cloudflare:test";
import { afterEach, expect, it } from "vitest";
import { api, closeSession, pcm, uniqueId } from "../support/workerd/api.ts";

afterEach(() => reset());

const putAudio = (id: string, seq: number, bytes: Uint8Array) =>
  api.putAudio(id, seq, bytes, { intro: { agentId: 42, mode: "observe" } });

/** The same bytes with one byte changed at `at`. */
function changedAt(bytes: Uint8Array, at: number): Uint8Array {
  const copy = bytes.slice();
  copy[at] = (copy[at]! + 1) & 0xff;
  return copy;
}

it("acknowledges a repeat with the same bytes and refuses one that differs in a single byte, after an eviction too", async () => {
  const id = uniqueId();
  const chunk = pcm(64_000, 3);
  expect((await putAudio(id, 0, chunk)).status).toBe(200);
  await abortAllDurableObjects();

  const again = await putAudio(id, 0, chunk.slice());
  expect(again.status).toBe(200);
  expect(await again.json()).toEqual({ ackedThrough: 0, missing: [], bytes: 64_000 });

  const changed = await putAudio(id, 0, changedAt(chunk, 63_999));
  expect(changed.status).toBe(409);
  expect(await changed.json()).toMatchObject({ error: "audio_chunk_conflict" });

  const shorter = await putAudio(id, 0, chunk.slice(0, 32_000));
  expect(shorter.status).toBe(409);
  expect(await shorter.json()).toMatchObject({ error: "audio_chunk_conflict" });
});

it("compares every row of a chunk stored in more than one row", async () => {
  const id = uniqueId();
  const chunk = pcm(2.5 * 1024 * 1024, 5);
  expect((await putAudio(id, 0, chunk)).status).toBe(200);

  // A byte in the third row (rows hold 1 MiB each).
  const changed = await putAudio(id, 0, changedAt(chunk, 2 * 1024 * 1024 + 17));
  expect(changed.status).toBe(409);
  expect(await changed.json()).toMatchObject({ error: "audio_chunk_conflict" });

  await abortAllDurableObjects();
  expect((await putAudio(id, 0, chunk.slice())).status).toBe(200);
  const closed = await closeSession(id, { lastSeq: -1, lastAudioSeq: 0 });
  expect(((await closed.json()) as { state: string }).state).toBe("finalized");
});
