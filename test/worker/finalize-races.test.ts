/**
 * Issue 29 items 1-3: erasure, abort and abort-recording racing finalization. The record's PUT is held by a
 * real-R2 wrapper (r2-faults.ts) while the racing request comes in, so the interleaving is forced, not hoped for.
 */
import { abortAllDurableObjects, env, runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { isolateEachTest } from "../support/workerd/isolation.ts";
import {
  api,
  call,
  closeSession,
  fragment,
  getStatus,
  pcm,
  say,
  sendFragment,
  tenantOf,
  uniqueId,
  KEY,
} from "../support/workerd/api.ts";
import { until } from "../support/workerd/r2-faults.ts";
import { editStoredMeta, sessionStubOf } from "../support/workerd/session-do.ts";
import { expectRecordWithoutAudio } from "../support/record-expect.ts";

const storage = isolateEachTest();

const recordKeyOf = async (id: string) => `records/${await tenantOf(KEY)}/${id}.json`;
const audioKeyOf = async (id: string) => `audio/${await tenantOf(KEY)}/${id}.wav`;
const exists = async (key: string) => (await env.RECORDINGS.head(key)) !== null;

/** A call with two fragments and one audio chunk, closed with its grace time over: the alarm finalizes it. */
async function callReadyToFinalize(id: string): Promise<void> {
  const intro = { agentId: 42, mode: "observe" as const };
  expect((await api.putAudio(id, 0, pcm(64_000, 1), { intro })).status).toBe(200);
  expect((await sendFragment(id, fragment(0, [say("user", "hello", 0)]))).status).toBe(200);
  // lastSeq 1 never arrives: the close waits for its grace time, then the alarm finalizes.
  const closing = (await (await closeSession(id, { lastSeq: 1, lastAudioSeq: 0 })).json()) as { state: string };
  expect(closing.state).toBe("closing");
  await editStoredMeta(id, (meta) => (meta.close.deadline = Date.now() - 1));
  await abortAllDurableObjects();
}

/** Starts the alarm's finalization and waits until the record's PUT is held by the wrapper. */
async function finalizeHeldInRecordPut(id: string): Promise<{ alarm: Promise<unknown> }> {
  const faults = await storage.injectR2Faults({ keyPrefix: "records/", delayPutMs: 600 });
  const alarm = runDurableObjectAlarm(await sessionStubOf(id));
  await until(() => faults.calls.put > 0);
  // Wrapped: an async function returning the promise itself would wait for it.
  return { alarm };
}

describe("races with finalization (issue 29)", () => {
  it("item 1: an erasure while the record's PUT is out leaves no record in R2 and no id in the list", async () => {
    const id = uniqueId();
    await callReadyToFinalize(id);
    const { alarm } = await finalizeHeldInRecordPut(id);
    const erased = await call("DELETE", `/v1/sessions/${id}`);
    expect(erased.status).toBe(200);
    await alarm;

    expect(((await (await getStatus(id)).json()) as { state: string }).state).toBe("erased");
    expect(await exists(await recordKeyOf(id))).toBe(false);
    expect(await exists(await audioKeyOf(id))).toBe(false);
    expect((await env.RECORDINGS.list({ prefix: `records/${await tenantOf(KEY)}/` })).objects).toEqual([]);
  });

  it("item 1: an abort while the record's PUT is out leaves nothing in R2", async () => {
    const id = uniqueId();
    await callReadyToFinalize(id);
    const { alarm } = await finalizeHeldInRecordPut(id);
    const aborted = await api.abort(id);
    expect(aborted.status, await aborted.clone().text()).toBe(200);
    await alarm;
    expect(await exists(await recordKeyOf(id))).toBe(false);
    expect(await exists(await audioKeyOf(id))).toBe(false);
  });

  it("item 2: abort-recording while the record's PUT is out leaves a finalized record without audio, and no WAV", async () => {
    const id = uniqueId();
    await callReadyToFinalize(id);
    const { alarm } = await finalizeHeldInRecordPut(id);
    expect((await api.abortRecording(id)).status).toBe(200);
    await alarm;

    expect(((await (await getStatus(id)).json()) as { state: string }).state).toBe("finalized");
    // A record that names audio which is gone is dead-lettered by forwarding: it must name none.
    expectRecordWithoutAudio(await (await env.RECORDINGS.get(await recordKeyOf(id)))!.json(), "abort-recording", 1);
    expect(await exists(await audioKeyOf(id))).toBe(false);
  });

  it("item 3: an abort after a crash between the record's PUT and the 'finalized' save deletes the record and the WAV", async () => {
    const id = uniqueId();
    await callReadyToFinalize(id);
    await runDurableObjectAlarm(await sessionStubOf(id));
    expect(await exists(await recordKeyOf(id))).toBe(true);
    expect(await exists(await audioKeyOf(id))).toBe(true);
    // The stored meta as a crash right after the PUT leaves it: still closing, no record key noted.
    await editStoredMeta(id, (meta) => {
      meta.state = "closing";
      delete meta.finalizedAt;
      delete meta.recordKey;
      meta.forward = { status: "none", attempts: 0 };
    });
    await abortAllDurableObjects();

    expect((await api.abort(id)).status).toBe(200);
    expect(await exists(await recordKeyOf(id))).toBe(false);
    expect(await exists(await audioKeyOf(id))).toBe(false);
  });
});

describe("an inspector view racing erasure (issue 29 item 1, second case)", () => {
  it("the waveform peaks a view writes back after the erasure are deleted, not kept", async () => {
    const id = uniqueId();
    await callReadyToFinalize(id);
    await runDurableObjectAlarm(await sessionStubOf(id));
    expect(((await (await getStatus(id)).json()) as { state: string }).state).toBe("finalized");
    const peaks = `peaks/${await tenantOf(KEY)}/${id}.json`;

    const faults = await storage.injectR2Faults({ keyPrefix: "peaks/", delayPutMs: 600 });
    // Wrapped so that awaiting the wrapper does not wait for the view.
    const view = { done: call("GET", `/inspect/${id}`) };
    await until(() => faults.calls.put > 0);
    expect((await call("DELETE", `/v1/sessions/${id}`)).status).toBe(200);
    await (await view.done).arrayBuffer();

    expect(await exists(peaks)).toBe(false);
    expect(await exists(await recordKeyOf(id))).toBe(false);
    expect(await exists(await audioKeyOf(id))).toBe(false);
  });
});
