import { afterAll, beforeAll, expect, it } from "vitest";
import { COUNTING_ENTRY, readCounts, resetCounts, sendCall, type CostScenario } from "../../bench/cost.ts";
import { snapshotEntry, startMiniflare, type MiniflareWorker } from "../../bench/lib/miniflare-worker.ts";
import type { Counts } from "../../bench/worker/counts.ts";

// The bench's counting build of the Worker must count what the real code paths do: if a wrapper
// stopped seeing the storage or the bindings, the cost model would silently report zero.
const observe: CostScenario = { name: "observe", mode: "observe", audio: true, chunkSeconds: 1 };
let worker: MiniflareWorker;

beforeAll(async () => {
  worker = await startMiniflare(await snapshotEntry(COUNTING_ENTRY));
});

afterAll(async () => {
  await worker?.stop();
});

async function countCall(seconds: number): Promise<Counts> {
  await resetCounts(worker.url);
  await sendCall(worker.url, `count-${crypto.randomUUID()}`, observe, seconds);
  return readCounts(worker.url);
}

it("counts requests, rows, R2 operations and DO storage of a short call, growing with its chunks", async () => {
  const short = await countCall(6);
  const long = await countCall(12);

  // 6 s of the call model: fragments at seconds 1, 2 and 4, six 1 s audio chunks, then close.
  expect(short.workerRequests).toBe(3 + 6 + 1);
  expect(short.doRequestsByMethod["SESSIONS.fragment"]).toBe(3);
  expect(short.doRequestsByMethod["SESSIONS.audio"]).toBe(6);
  expect(short.doRequestsByMethod["SESSIONS.close"]).toBe(1);
  expect(short.doRequests).toBeGreaterThanOrEqual(short.workerRequests);
  expect(short.rowsRead).toBeGreaterThan(0);
  expect(short.rowsWritten).toBeGreaterThanOrEqual(3 + 6);
  expect(short.alarmsSet).toBeGreaterThan(0);
  // Finalization wrote the WAV and the record to R2 (class A) after checking for a record (class B).
  expect(short.r2ClassA).toBeGreaterThanOrEqual(2);
  expect(short.r2ClassB).toBeGreaterThanOrEqual(1);
  expect(short.r2BytesWritten).toBeGreaterThan(6 * 64_000);
  const sessions = Object.entries(short.objectStorage).filter(([k]) => k.startsWith("SESSIONS:"));
  expect(sessions).toHaveLength(1);
  expect(sessions[0]![1].peak).toBeGreaterThan(6 * 64_000);

  // Twice the call: more chunks, more fragments, more rows written, more bytes in R2.
  expect(long.doRequestsByMethod["SESSIONS.audio"]).toBe(12);
  // One more row written per extra fragment (2: seconds 7 and 10) and per extra chunk (6), by their own statements
  // (the tenant's first call also creates the tenant index, so the totals alone do not compare).
  const extra = (statement: string) =>
    (long.rowsWrittenBySql[statement] ?? 0) - (short.rowsWrittenBySql[statement] ?? 0);
  expect(extra("INSERT INTO fragments (seq,")).toBe(2);
  expect(extra("INSERT INTO audio_chunk_rows (id,")).toBe(6);
  expect(long.rowsWritten).toBeGreaterThan(short.rowsWritten);
  expect(long.r2BytesWritten).toBeGreaterThan(short.r2BytesWritten);
});
