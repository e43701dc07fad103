import { abortAllDurableObjects, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { expect, it } from "vitest";
import { isolateEachTest } from "../support/workerd/isolation.ts";
import { fragment, getRecord, getStatus, say, sendFragment, uniqueId } from "../support/workerd/api.ts";
import { editStoredMeta, sessionStubOf } from "../support/workerd/session-do.ts";

isolateEachTest();

it("closes a session that keeps writing after six hours open with reason max-duration, keeping what it sent", async () => {
  const id = uniqueId();
  await sendFragment(id, fragment(0, [say("user", "still talking", 0)]));
  const alarm = await runInDurableObject(await sessionStubOf(id), (_i, state) => state.storage.getAlarm());
  expect(alarm).not.toBeNull();
  // Opened six hours ago, active a second ago: the idle timeout is far, the open-time cap has passed.
  await editStoredMeta(id, (meta) => {
    meta.createdAt = Date.now() - 6 * 3_600_000 - 1;
    meta.lastActivityAt = Date.now() - 1000;
  });
  await abortAllDurableObjects();
  expect(await runDurableObjectAlarm(await sessionStubOf(id))).toBe(true);
  expect(await (await getStatus(id)).json()).toMatchObject({ state: "finalized", endedReason: "max-duration" });
  expect(await (await getRecord(id)).json()).toMatchObject({
    endedReason: "max-duration",
    transcript: [{ text: "still talking" }],
  });
  const late = await sendFragment(id, fragment(1, [say("user", "more", 1000)]));
  expect(late.status).toBe(409);
});
