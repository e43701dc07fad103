/**
 * Retention (RETENTION_DAYS = 1 in test/privacy/vitest.config.ts): a finalized call older than that is
 * erased by its Durable Object's alarm (record, audio, spans; a tombstone stays), and a tombstone older
 * than that is removed whole. Time passes by rewriting the stored times (as the DO reads them after an
 * eviction); the alarm then runs for real.
 */
import { abortAllDurableObjects, reset, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { afterEach, expect, it } from "vitest";
import { dumpDo, inspectDo, r2KeysFor, stubOf } from "../support/workerd/inspect-do.ts";
import { call, fragment, freshKey, json, say, uniqueId } from "./support.ts";

afterEach(() => reset());

const DAY = 24 * 3600 * 1000;
const RATE = 16_000;
const putAudio = (key: string, id: string, seq: number) =>
  call("PUT", `/v1/sessions/${id}/audio/${seq}`, key, new Uint8Array(RATE * 4).fill(3), {
    "content-type": "application/octet-stream",
    "x-audio-sample-rate": String(RATE),
  });

/** Moves the session's stored times `ms` into the past. */
async function age(key: string, id: string, ms: number): Promise<void> {
  await runInDurableObject(await stubOf(id, key), (_instance, state) => {
    const meta = JSON.parse(
      state.storage.sql.exec<{ json: string }>("SELECT json FROM session_meta WHERE id = 1").one().json,
    );
    for (const field of ["createdAt", "lastActivityAt", "finalizedAt", "destroyedAt", "erasedAt"])
      if (typeof meta[field] === "number") meta[field] -= ms;
    state.storage.sql.exec("UPDATE session_meta SET json = ? WHERE id = 1", JSON.stringify(meta));
  });
  await abortAllDurableObjects();
}

async function finalizedCall(key: string, id: string, secret: string) {
  expect((await call("POST", `/v1/sessions/${id}/fragments`, key, fragment(0, [say("user", secret, 0)]))).status).toBe(
    200,
  );
  expect((await putAudio(key, id, 0)).status).toBe(200);
  const closed = await json<{ state: string }>(
    await call("POST", `/v1/sessions/${id}/close`, key, { lastSeq: 0, lastAudioSeq: 0 }),
  );
  expect(closed.state).toBe("finalized");
}

it("a finalized call keeps its record until RETENTION_DAYS have passed; its alarm is armed for that moment", async () => {
  const key = freshKey();
  const id = uniqueId("young");
  await finalizedCall(key, id, "young call");
  // An earlier alarm (kept rather than moved, as each setAlarm() is a billed write) erases nothing
  // and re-arms for the retention time.
  await runDurableObjectAlarm(await stubOf(id, key));
  expect((await r2KeysFor(id)).length).toBe(2);
  const stored = await inspectDo(id, key);
  expect(stored.alarm).toBe((stored.meta!.finalizedAt as number) + DAY);
  expect((await json<{ state: string }>(await call("GET", `/v1/sessions/${id}`, key))).state).toBe("finalized");
});

it("a finalized call older than RETENTION_DAYS is erased by its alarm (record and audio gone, a tombstone kept), the tombstone after another period", async () => {
  const key = freshKey();
  const id = uniqueId("old");
  const secret = `SECRET-${crypto.randomUUID()}`;
  await finalizedCall(key, id, secret);
  expect((await r2KeysFor(id)).length).toBe(2); // record + audio: the check below can fail
  await age(key, id, DAY + 60_000);
  expect(await runDurableObjectAlarm(await stubOf(id, key))).toBe(true);

  expect(await r2KeysFor(id)).toEqual([]);
  const tomb = await inspectDo(id, key);
  expect(tomb.meta).toMatchObject({ state: "erased", erasure: { reason: "retention", complete: true } });
  expect(tomb.tables).toEqual({ session_meta: 1 }); // every other table dropped
  expect(await dumpDo(id, key)).not.toContain(secret);
  expect(tomb.alarm).toBe((tomb.meta!.erasedAt as number) + DAY);
  const status = await json<{ state: string }>(await call("GET", `/v1/sessions/${id}`, key));
  expect(status.state).toBe("erased");

  await age(key, id, DAY + 60_000);
  expect(await runDurableObjectAlarm(await stubOf(id, key))).toBe(true);
  const gone = await inspectDo(id, key);
  expect(gone.meta).toBeNull();
  expect(gone.tables).toEqual({}); // as if never seen: not even an empty table
  expect(gone.alarm).toBeNull();
  expect((await call("GET", `/v1/sessions/${id}`, key)).status).toBe(404);
});

it("an aborted call's tombstone expires after RETENTION_DAYS too", async () => {
  const key = freshKey();
  const id = uniqueId("aborted");
  await call("POST", `/v1/sessions/${id}/fragments`, key, fragment(0, [say("user", "bye", 0)]));
  expect((await call("POST", `/v1/sessions/${id}/abort`, key, {})).status).toBe(200);
  const tomb = await inspectDo(id, key);
  expect(tomb.alarm).toBe((tomb.meta!.destroyedAt as number) + DAY);
  await age(key, id, DAY + 60_000);
  await runDurableObjectAlarm(await stubOf(id, key));
  expect((await inspectDo(id, key)).meta).toBeNull();
});
