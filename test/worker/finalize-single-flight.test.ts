import { abortAllDurableObjects, runDurableObjectAlarm } from "cloudflare:test";
import { expect, it } from "vitest";
import { isolateEachTest } from "../support/workerd/isolation.ts";
import { closeSession, fragment, getRecord, getStatus, say, sendFragment, uniqueId } from "../support/workerd/api.ts";
import { until } from "../support/workerd/r2-faults.ts";
import { editStoredMeta, sessionStubOf } from "../support/workerd/session-do.ts";

const storage = isolateEachTest();

it("keeps the record, and refuses the late fragment, when it arrives while the grace-time finalization is writing the record", async () => {
  const id = uniqueId();
  await sendFragment(id, fragment(0, [say("user", "first", 0)]));
  const closing = (await (await closeSession(id, { lastSeq: 1 })).json()) as { state: string };
  expect(closing.state).toBe("closing");
  await editStoredMeta(id, (meta) => (meta.close.deadline = Date.now() - 1));
  await abortAllDurableObjects();

  const faults = await storage.injectR2Faults({ keyPrefix: "records/", delayPutMs: 400 });

  // The alarm finalizes past the grace time and waits in the record's PUT...
  const alarm = runDurableObjectAlarm(await sessionStubOf(id));
  await until(() => faults.calls.put > 0);
  // ...while the missing fragment arrives: it waits for that finalization and is refused, never acknowledged and left out.
  const late = await sendFragment(id, fragment(1, [say("assistant", "second", 1000)]));
  expect(late.status).toBe(409);
  expect(await late.json()).toMatchObject({ error: "session_finalized" });
  await alarm;

  expect(((await (await getStatus(id)).json()) as { state: string }).state).toBe("finalized");
  const record = await getRecord(id);
  expect(record.status).toBe(200);
  expect(await record.json()).toMatchObject({
    sessionId: id,
    transcript: [{ text: "first" }],
    fragments: { missing: [1] },
  });
  expect(faults.calls.put).toBe(1);
});
