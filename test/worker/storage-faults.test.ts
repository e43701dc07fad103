import { abortAllDurableObjects, env, runDurableObjectAlarm } from "cloudflare:test";
import { expect, it } from "vitest";
import { isolateEachTest } from "../support/workerd/isolation.ts";
import {
  api,
  closeSession,
  fragment,
  getRecord,
  getStatus,
  say,
  sendFragment,
  uniqueId,
} from "../support/workerd/api.ts";
import { editStoredMeta, sessionStubOf } from "../support/workerd/session-do.ts";

const storage = isolateEachTest();

const MiB = 1024 * 1024;
const chunk = (seq: number) => new Uint8Array(3 * MiB).fill(seq + 1);

interface Status {
  state: string;
  finalization: { attempts: number; lastError: string; nextAttemptAt: string } | null;
}

it("finalizes a call whose part uploads, CompleteMultipartUpload and record PUT each fail twice, with the right part numbers, showing the errors while it retries", async () => {
  const id = uniqueId();
  await sendFragment(id, fragment(0, [say("user", "still here", 0)]));
  const faults = await storage.injectR2Faults({ fail: { uploadPart: 2, complete: 2, put: 2 } });
  // 12 MiB: part 2 fills while the call runs (its first two uploads fail; the chunks are acknowledged anyway).
  for (let seq = 0; seq < 4; seq++) {
    const res = await api.putAudio(id, seq, chunk(seq), {
      intro: { agentId: 42, mode: "observe" },
      startFrame: (seq * 3 * MiB) / 4,
    });
    expect(res.status).toBe(200);
  }
  let status = (await (await closeSession(id, { lastSeq: 0, lastAudioSeq: 3 })).json()) as Status;
  const errors: string[] = [];
  for (let attempt = 0; status.state === "closing" && attempt < 10; attempt++) {
    expect(status.finalization).not.toBeNull();
    errors.push(status.finalization!.lastError);
    await editStoredMeta(id, (meta) => (meta.finalization.nextAttemptAt = Date.now() - 1));
    await abortAllDurableObjects();
    expect(await runDurableObjectAlarm(await sessionStubOf(id))).toBe(true);
    status = (await (await getStatus(id)).json()) as Status;
  }
  expect(status.state).toBe("finalized");
  expect(errors.some((e) => /complete failed/.test(e))).toBe(true);
  expect(errors.some((e) => /put failed/.test(e))).toBe(true);
  expect(new Set(faults.partNumbers)).toEqual(new Set([1, 2, 3]));

  const record = (await (await getRecord(id)).json()) as {
    transcript: { text: string }[];
    audio: { key: string; bytes: number; gaps: unknown[] };
  };
  expect(record.transcript.map((t) => t.text)).toEqual(["still here"]);
  expect(record.audio).toMatchObject({ bytes: 44 + 12 * MiB, gaps: [] });
  const wav = new Uint8Array(await (await env.RECORDINGS.get(record.audio.key))!.arrayBuffer());
  expect(wav.byteLength).toBe(44 + 12 * MiB);
  for (let seq = 0; seq < 4; seq++)
    expect([wav[44 + seq * 3 * MiB], wav[44 + (seq + 1) * 3 * MiB - 1]]).toEqual([seq + 1, seq + 1]);
}, 120_000);
