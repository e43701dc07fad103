import { abortAllDurableObjects, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { expect, it } from "vitest";
import { isolateEachTest } from "../support/workerd/isolation.ts";
import { api, getRecord, getStatus, uniqueId } from "../support/workerd/api.ts";
import { editStoredMeta, sessionStubOf } from "../support/workerd/session-do.ts";

isolateEachTest();

it("arms the idle alarm for a session whose only contact is one audio chunk, and finalizes it when idle", async () => {
  const id = uniqueId();
  const res = await api.putAudio(id, 0, new Uint8Array(6400).fill(9), {
    intro: { agentId: 42, mode: "observe" },
    startFrame: 0,
  });
  expect(res.status).toBe(200);
  const alarm = await runInDurableObject(await sessionStubOf(id), (_i, state) => state.storage.getAlarm());
  expect(alarm).not.toBeNull();

  await editStoredMeta(id, (meta) => (meta.lastActivityAt = Date.now() - 3_600_000));
  await abortAllDurableObjects();
  expect(await runDurableObjectAlarm(await sessionStubOf(id))).toBe(true);
  expect(await (await getStatus(id)).json()).toMatchObject({ state: "finalized", endedReason: "idle-timeout" });
  expect(await (await getRecord(id)).json()).toMatchObject({ audio: { durationSeconds: 0.1, gaps: [] } });
});
