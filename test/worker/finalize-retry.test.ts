import { abortAllDurableObjects, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { expect, it } from "vitest";
import { isolateEachTest } from "../support/workerd/isolation.ts";
import { closeSession, fragment, getRecord, getStatus, say, sendFragment, uniqueId } from "../support/workerd/api.ts";
import { editStoredMeta, sessionStubOf } from "../support/workerd/session-do.ts";

const storage = isolateEachTest();

interface Status {
  state: string;
  finalization: { attempts: number; lastError: string; nextAttemptAt: string } | null;
}

const alarmOf = async (id: string) =>
  runInDurableObject(await sessionStubOf(id), (_i, state) => state.storage.getAlarm());

it("records a failed finalization in status, keeps an alarm armed and finalizes once storage recovers", async () => {
  const id = uniqueId();
  await sendFragment(id, fragment(0, [say("user", "kept through the fault", 0)]));
  const faults = await storage.injectR2Faults({ keyPrefix: "records/", fail: { put: 2 } });

  const closed = await closeSession(id, { lastSeq: 0 });
  expect(closed.status).toBe(200);
  let status = (await closed.json()) as Status;
  expect(status.state).toBe("closing");
  expect(status.finalization).toMatchObject({
    attempts: 1,
    lastError: expect.stringMatching(/injected R2 fault: put/),
  });
  expect(Date.parse(status.finalization!.nextAttemptAt)).toBeGreaterThan(Date.now() - 1000);
  expect(await alarmOf(id)).toBe(Date.parse(status.finalization!.nextAttemptAt));

  // The retry is due: the alarm tries again, fails again, and re-arms with a longer delay.
  await editStoredMeta(id, (meta) => (meta.finalization.nextAttemptAt = Date.now() - 1));
  await abortAllDurableObjects();
  expect(await runDurableObjectAlarm(await sessionStubOf(id))).toBe(true);
  status = (await (await getStatus(id)).json()) as Status;
  expect(status).toMatchObject({ state: "closing", finalization: { attempts: 2 } });
  expect(await alarmOf(id)).toBe(Date.parse(status.finalization!.nextAttemptAt));

  await editStoredMeta(id, (meta) => (meta.finalization.nextAttemptAt = Date.now() - 1));
  await abortAllDurableObjects();
  expect(await runDurableObjectAlarm(await sessionStubOf(id))).toBe(true);
  status = (await (await getStatus(id)).json()) as Status;
  expect(status.state).toBe("finalized");
  const record = (await (await getRecord(id)).json()) as { transcript: { text: string }[] };
  expect(record.transcript.map((t) => t.text)).toEqual(["kept through the fault"]);
  expect(faults.calls.put).toBe(3);
});
