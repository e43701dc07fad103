import { abortAllDurableObjects, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { expect, it } from "vitest";
import { isolateEachTest } from "../support/workerd/isolation.ts";
import { fragment, getStatus, say, sendFragment, uniqueId } from "../support/workerd/api.ts";
import { editStoredMeta, sessionStubOf } from "../support/workerd/session-do.ts";

// Each setAlarm() is a billed row write, so a busy session keeps the alarm it already has instead of
// moving it on every request; an early alarm re-checks the idle time and re-arms.
isolateEachTest();

async function alarmOf(id: string): Promise<number | null> {
  return runInDurableObject(await sessionStubOf(id), (_instance, state) => state.storage.getAlarm());
}

it("keeps the first idle alarm while fragments arrive, re-arms it when it fires early, and still finalizes when idle", async () => {
  const id = uniqueId("alarm");
  await sendFragment(id, fragment(0, [say("user", "hello", 0)]));
  const first = await alarmOf(id);
  expect(first).not.toBeNull();
  await new Promise((r) => setTimeout(r, 20));
  await sendFragment(id, fragment(1, [say("assistant", "hi", 1000)]));
  expect(await alarmOf(id)).toBe(first);

  // The alarm fires while the call is active: the session stays open and the alarm moves to the later idle time.
  expect(await runDurableObjectAlarm(await sessionStubOf(id))).toBe(true);
  expect(((await (await getStatus(id)).json()) as { state: string }).state).toBe("open");
  const rearmed = await alarmOf(id);
  expect(rearmed).not.toBeNull();
  expect(rearmed!).toBeGreaterThan(Date.now());

  // Idle for longer than the timeout: the next alarm finalizes it.
  await editStoredMeta(id, (meta) => (meta.lastActivityAt = Date.now() - 3_600_000));
  await abortAllDurableObjects();
  expect(await runDurableObjectAlarm(await sessionStubOf(id))).toBe(true);
  expect(await (await getStatus(id)).json()).toMatchObject({ state: "finalized", endedReason: "idle-timeout" });
});
