import { abortAllDurableObjects } from "cloudflare:test";
import { expect, it } from "vitest";
import { isolateEachTest } from "../support/workerd/isolation.ts";
import {
  closeSession,
  fragment,
  getRecord,
  getStatus,
  KEY,
  say,
  sendFragment,
  uniqueId,
} from "../support/workerd/api.ts";
import { inspectDo } from "../support/workerd/inspect-do.ts";
import { storedMeta } from "../support/workerd/session-do.ts";

// A fragment writes its own row and not the meta row too (rows written are billed): the session's counts
// are recounted from the fragment rows when the object is loaded again, and the rows are dropped as whole
// tables once the record holds their events.
isolateEachTest();

it("writes the meta row once for the first fragment, not again for each following fragment", async () => {
  const id = uniqueId("rows");
  for (let seq = 0; seq < 4; seq++)
    expect((await sendFragment(id, fragment(seq, [say("user", `line ${seq}`, seq * 1000)]))).status).toBe(200);
  // Three more fragments were acknowledged, yet the stored meta row is still the one the first contact wrote.
  expect(await storedMeta(id)).toMatchObject({ fragmentCount: 0, eventCount: 0, ackedThrough: -1 });
  expect(await (await getStatus(id)).json()).toMatchObject({
    counts: { fragments: 4, events: 4, ackedThrough: 3, missing: [] },
  });
});

it("recounts every acknowledged fragment from its row after the object is evicted, gaps included", async () => {
  const id = uniqueId("rows");
  for (const seq of [0, 1, 3])
    await sendFragment(
      id,
      fragment(seq, [say("user", `line ${seq}`, seq * 1000), say("assistant", `reply ${seq}`, seq * 1000 + 500)]),
    );
  await abortAllDurableObjects();
  expect(await (await getStatus(id)).json()).toMatchObject({
    state: "open",
    counts: { fragments: 3, events: 6, ackedThrough: 1, missing: [2] },
  });
  const ack = await (await sendFragment(id, fragment(2, [say("user", "line 2", 2000)]))).json();
  expect(ack).toEqual({ ackedThrough: 3, missing: [], state: "open" });
  // An acknowledged seq stays idempotent after the eviction: the same body is acknowledged, another is refused.
  expect(
    (await sendFragment(id, fragment(1, [say("user", "line 1", 1000), say("assistant", "reply 1", 1500)]))).status,
  ).toBe(200);
  expect((await sendFragment(id, fragment(1, [say("user", "changed", 1000)]))).status).toBe(409);
  await closeSession(id, { lastSeq: 3 });
  const record = (await (await getRecord(id)).json()) as { transcript: { text: string }[] };
  expect(record.transcript.map((t) => t.text)).toEqual([
    "line 0",
    "reply 0",
    "line 1",
    "reply 1",
    "line 2",
    "line 3",
    "reply 3",
  ]);
});

it("keeps a closing session's counts and missing seqs across an eviction, counting no fragment twice", async () => {
  const id = uniqueId("rows");
  await sendFragment(id, fragment(0, [say("user", "hello", 0)]));
  // The close writes the meta row with the counts; the recount after the eviction must not add the row again.
  await closeSession(id, { lastSeq: 5 });
  await abortAllDurableObjects();
  expect(await (await getStatus(id)).json()).toMatchObject({
    state: "closing",
    counts: { fragments: 1, events: 1, ackedThrough: 0, missing: [1, 2, 3, 4, 5] },
  });
});

it("drops the fragment tables once the record is written, and a finalized session does not create them again", async () => {
  const id = uniqueId("rows");
  for (let seq = 0; seq < 3; seq++) await sendFragment(id, fragment(seq, [say("user", `line ${seq}`, seq * 1000)]));
  expect((await inspectDo(id, KEY)).tables.fragments).toBe(3);
  await closeSession(id, { lastSeq: 2 });
  expect(await (await getStatus(id)).json()).toMatchObject({ state: "finalized", counts: { fragments: 3, events: 3 } });
  // Dropped, not emptied row by row (a DELETE is billed one row written per fragment).
  expect(Object.keys((await inspectDo(id, KEY)).tables)).not.toContain("fragments");
  await abortAllDurableObjects();
  expect(await (await getStatus(id)).json()).toMatchObject({ state: "finalized", counts: { fragments: 3, events: 3 } });
  expect((await getRecord(id)).status).toBe(200);
  const tables = Object.keys((await inspectDo(id, KEY)).tables);
  expect(tables).not.toContain("fragments");
  expect(tables).not.toContain("fragment_overflow");
});
