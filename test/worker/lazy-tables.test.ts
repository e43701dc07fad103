import { abortAllDurableObjects } from "cloudflare:test";
import { expect, it } from "vitest";
import { isolateEachTest } from "../support/workerd/isolation.ts";
import { api, call, fragment, getStatus, KEY, pcm, say, sendFragment, uniqueId } from "../support/workerd/api.ts";
import { inspectDo } from "../support/workerd/inspect-do.ts";

// Creating a table is rows written and pages synced in the session's database. A session's object creates
// each table with its first row, so a request that is refused, or only looks, leaves the object empty, and a
// call without audio or spans never gets their tables.
isolateEachTest();

const empty = { tables: {}, kvKeys: [], alarm: null, meta: null };

it("leaves an unknown session's object empty when it is only looked at", async () => {
  const id = uniqueId("lazy");
  expect((await getStatus(id)).status).toBe(404);
  expect((await call("GET", `/v1/sessions/${id}/record`)).status).toBe(404);
  await abortAllDurableObjects(); // the object is loaded afresh by the inspection below
  expect(await inspectDo(id, KEY)).toEqual(empty);
});

it("leaves a new session's object empty when its first request is refused", async () => {
  const id = uniqueId("lazy");
  expect((await call("POST", `/v1/sessions/${id}/fragments`, '{"agentId": 42, "seq": 0,')).status).toBe(400);
  expect((await sendFragment(id, { ...fragment(0), seq: -1 })).status).toBe(400);
  expect((await sendFragment(id, fragment(0, [{ type: "transcript", role: "user" }]))).status).toBe(400);
  // audio without the headers that introduce a session, then audio of an odd byte count
  expect((await api.putAudio(id, 0, pcm(3200, 1))).status).toBeGreaterThanOrEqual(400);
  const odd = await api.putAudio(id, 0, pcm(3201, 1), { intro: { agentId: 42, mode: "observe" } });
  expect(odd.status).toBe(400);
  await abortAllDurableObjects();
  expect(await inspectDo(id, KEY)).toEqual(empty);
});

it("creates only the tables a call uses: no audio or span tables for a transcript-only call", async () => {
  const id = uniqueId("lazy");
  expect((await sendFragment(id, fragment(0, [say("user", "hello", 0)]))).status).toBe(200);
  await abortAllDurableObjects();
  const stored = await inspectDo(id, KEY);
  expect(Object.keys(stored.tables).sort()).toEqual(["fragments", "session_meta"]);
  // ...and the first chunk of audio brings the audio tables, with its row
  expect((await api.putAudio(id, 0, pcm(3200, 1))).status).toBe(200);
  const withAudio = await inspectDo(id, KEY);
  expect(withAudio.tables).toMatchObject({ audio_chunk_rows: 1, audio_state: 1 });
  expect(Object.keys(withAudio.tables).filter((name) => name.startsWith("otel_"))).toEqual([]);
});
