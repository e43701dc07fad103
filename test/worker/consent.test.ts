/**
 * Consent enforced by the Worker, case by case.
 *
 * Every negative case ends in `expectNothingLeft(id)`, which looks from the outside, after the fact:
 *   - Cekura: no outbound request of the Worker (any host) mentions the session or its text (the Durable
 *     Objects run in this isolate, so the recording fetch below sees their requests; CEKURA_HOST is empty in
 *     this project, so the same cases are also run with real forwarding to the Cekura stand-in in
 *     test/consent/sdk-consent.test.ts);
 *   - R2: no object whose key contains the session id (records/, audio, staging: any layout);
 *   - the session's Durable Object: every table but the one meta row is empty, no key-value entry, no
 *     alarm, and no captured text survives anywhere in its storage; the meta row is a tombstone;
 *   - the session answers status (aborted / discarded) and refuses every later write with 409
 *     (fragments, audio, consent; late OTLP spans are rejected and not stored).
 * Between steps the Durable Objects are evicted (`abortAllDurableObjects`), so nothing relies on memory.
 */
import { abortAllDurableObjects, reset, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  audioUpload,
  r2Bytes,
  dumpDo,
  inspectDo,
  multipartStillOpen,
  r2KeysFor,
  stubOf,
} from "../support/workerd/inspect-do.ts";
import {
  api,
  call,
  closeSession,
  fragment,
  getRecord,
  getStatus,
  KEY,
  say,
  sendFragment,
  uniqueId,
} from "../support/workerd/api.ts";
import { expectRecordWithoutAudio } from "../support/record-expect.ts";
import { recordOutbound } from "../support/workerd/outbound.ts";
import { naming, newTraceId, postSpans, span } from "../support/workerd/spans.ts";

const { consent, abort, abortRecording } = api;
const evict = () => abortAllDurableObjects();

/** One OTLP/HTTP JSON span of the session (conversation.id routes it), with `secret` in an attribute. */
const postSpan = (id: string, secret: string) =>
  postSpans([
    span(newTraceId(), {
      name: "llm",
      attributes: [...naming(id).attributes, { key: "llm.prompt", value: { stringValue: secret } }],
    }),
  ]);

const RATE = 16_000;
/** `seconds` of stereo s16le at 16 kHz, every byte set to `fill` (so it can be recognised). */
const pcm = (seconds: number, fill = 7) => new Uint8Array(Math.round(seconds * RATE) * 4).fill(fill);
const putAudio = (id: string, seq: number, bytes: Uint8Array) => api.putAudio(id, seq, bytes, { sampleRate: RATE });

/** Outbound requests the Worker (and its Durable Objects, same isolate) made during the test. */
const outbound = recordOutbound();
afterEach(async () => {
  vi.useRealTimers();
  await reset();
});

/** A fragment of a deferred (deferUpload: true) session carrying a secret in every kind of event. */
function secretFragment(seq: number, secret: string, deferUpload: boolean | "audio" = true) {
  return fragment(
    seq,
    [
      say("user", `my card number is ${secret}`, seq * 2000),
      { kind: "tool_call", id: `t${seq}`, name: "lookup", arguments: JSON.stringify({ secret }), time: at(seq) },
      { kind: "log", level: "info", message: `log ${secret}`, time: at(seq) },
      { kind: "metadata", patch: { [`k${seq}`]: secret }, time: at(seq) },
    ],
    { deferUpload },
  );
}
const at = (seq: number) => new Date(Date.UTC(2026, 10, 25, 12, 0, 0) + seq * 2000 + 100).toISOString();

/** A new session whose first fragment (deferred unless `deferUpload` says otherwise) carries a fresh secret. */
async function secretCall(
  name: string,
  deferUpload: boolean | "audio" = true,
): Promise<{ id: string; secret: string }> {
  const id = uniqueId(name);
  const secret = `SECRET-${crypto.randomUUID()}`;
  expect((await sendFragment(id, secretFragment(0, secret, deferUpload))).status).toBe(200);
  return { id, secret };
}

async function expectStatus(res: Response, status: number, error?: string) {
  const body = (await res.json()) as { error?: string; detail?: string; state?: string };
  expect({ status: res.status, error: body.error }).toEqual({ status, error });
  return body;
}

async function expectNothingLeft(
  id: string,
  state: "aborted" | "discarded",
  secrets: string[],
  upload?: { key: string; uploadId: string },
) {
  // Cekura (or any host): nothing about this session left the Worker.
  expect(outbound.requests.filter((r) => r.url.includes(id) || r.body.includes(id))).toEqual([]);
  expect(outbound.requests.filter((r) => secrets.some((s) => r.body.includes(s)))).toEqual([]);
  // R2: no object for the session under any key.
  expect(await r2KeysFor(id)).toEqual([]);
  // R2: the multipart upload that held uploaded audio parts was aborted (a part can no longer be added).
  if (upload) expect(await multipartStillOpen(upload.key, upload.uploadId)).toBe(false);
  // Durable Object: only the tombstone.
  const stored = await inspectDo(id, KEY);
  // Every other table is dropped, not emptied (a DELETE is billed a row written per row).
  expect(stored.tables).toEqual({ session_meta: 1 });
  expect(stored.kvKeys).toEqual([]);
  expect(stored.alarm).toBeNull();
  expect(stored.meta).toMatchObject({ state, destroyComplete: true });
  const everything = await dumpDo(id, KEY);
  for (const secret of secrets) expect(everything).not.toContain(secret);
  // Status still answers, and every write is refused.
  await evict();
  const status = (await (await getStatus(id)).json()) as {
    state: string;
    consent: string;
    destroyedAt: string | null;
    forward: { status: string };
  };
  expect(status.state).toBe(state);
  expect(status.destroyedAt).not.toBeNull();
  expect(status.forward.status).toBe("none");
  await expectStatus(await sendFragment(id, fragment(99, [say("user", "late", 0)])), 409, `session_${state}`);
  await expectStatus(await consent(id), 409, `session_${state}`);
  await expectStatus(await putAudio(id, 999, pcm(0.1)), 409, `session_${state}`);
  expect((await postSpan(id, "late-span")).status).toBe(200); // OTLP partial success: the span is rejected
  expect((await inspectDo(id, KEY)).tables.otel_spans ?? 0).toBe(0); // the table may never have been created
  expect(await r2KeysFor(id)).toEqual([]);
}

describe("deferUpload: true holds everything in the Durable Object", { timeout: 30_000 }, () => {
  it("(the outbound recorder sees requests made by the Durable Objects)", async () => {
    const id = uniqueId("recorder");
    await sendFragment(id, fragment(0));
    await runInDurableObject(await stubOf(id, KEY), () => fetch(`http://recorder.invalid/${id}`));
    expect(outbound.requests.map((r) => r.url)).toEqual([`http://recorder.invalid/${id}`]);
  });

  it("accepts fragments while deferred but writes nothing to R2 and forwards nothing", async () => {
    const { id, secret } = await secretCall("held");
    await evict();
    expect((await sendFragment(id, secretFragment(1, secret))).status).toBe(200);
    const status = (await (await getStatus(id)).json()) as {
      state: string;
      consent: string;
      counts: { fragments: number };
    };
    expect(status).toMatchObject({ state: "open", consent: "deferred", counts: { fragments: 2 } });
    expect(await r2KeysFor(id)).toEqual([]);
    expect(outbound.requests).toEqual([]);
    expect((await getRecord(id)).status).toBe(409);
  });
});

describe("abort destroys everything and leaves a tombstone", { timeout: 30_000 }, () => {
  it("abort before any data: an unknown session becomes a tombstone that refuses later fragments", async () => {
    const id = uniqueId("abort-first");
    const res = await abort(id);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ state: "aborted", consent: "aborted" });
    await evict();
    await expectNothingLeft(id, "aborted", []);
  });

  it("abort mid-call while deferred: held fragments are deleted", async () => {
    const { id, secret } = await secretCall("abort-mid");
    await evict();
    await sendFragment(id, secretFragment(2, secret)); // out of order: seq 1 is missing
    await evict();
    expect((await postSpan(id, secret)).status).toBe(200);
    await evict();
    expect((await inspectDo(id, KEY)).tables.otel_spans).toBe(1); // the span is held too
    expect(await dumpDo(id, KEY)).toContain(secret); // held, so the check below can fail
    await expectStatus(await abort(id), 200);
    await evict();
    await expectNothingLeft(id, "aborted", [secret]);
  });

  it("abort after consent but before close: everything released so far is still destroyed", async () => {
    const { id, secret } = await secretCall("abort-granted");
    await evict();
    expect(await (await consent(id)).json()).toMatchObject({ consent: "granted", state: "open" });
    await evict();
    await sendFragment(id, secretFragment(1, secret));
    await evict();
    await expectStatus(await abort(id), 200);
    await evict();
    await expectNothingLeft(id, "aborted", [secret]);
    await expectStatus(await closeSession(id, { lastSeq: 1 }), 409, "session_aborted");
  });

  it("abort of a plain (not deferred) open session destroys it too", async () => {
    const { id, secret } = await secretCall("abort-plain", false);
    await evict();
    await expectStatus(await abort(id), 200);
    await expectNothingLeft(id, "aborted", [secret]);
  });

  it("abort racing a close: whichever wins, an accepted abort leaves nothing in R2", async () => {
    for (let round = 0; round < 6; round++) {
      const id = uniqueId(`race-${round}`);
      await sendFragment(id, secretFragment(0, "race", false));
      const [closed, aborted] = await Promise.all([closeSession(id, { lastSeq: 0 }), abort(id)]);
      if (aborted.status === 200) {
        expect(await aborted.json()).toMatchObject({ state: "aborted" });
        expect(await r2KeysFor(id)).toEqual([]);
        expect(await (await getStatus(id)).json()).toMatchObject({ state: "aborted" });
      } else {
        await expectStatus(aborted, 409, "session_finalized");
        expect(await closed.json()).toMatchObject({ state: "finalized" });
        expect((await getRecord(id)).status).toBe(200);
      }
    }
  });

  it("abort is idempotent; consent after abort is 409 with a detail that says why", async () => {
    const id = uniqueId("abort-twice");
    await sendFragment(id, secretFragment(0, "x"));
    const first = (await (await abort(id)).json()) as { state: string };
    await evict();
    const second = await abort(id);
    expect(second.status).toBe(200);
    expect(await second.json()).toEqual(first);
    const refused = await expectStatus(await consent(id), 409, "session_aborted");
    expect(refused.detail).toMatch(/after .* was aborted.*nothing to release/);
  });
});

describe("a session that ends without consent is discarded", { timeout: 30_000 }, () => {
  it("close while deferred: discarded at once, nothing finalized, stored or forwarded", async () => {
    const { id, secret } = await secretCall("close-deferred");
    await evict();
    await sendFragment(id, secretFragment(1, secret));
    await evict();
    const closed = await closeSession(id, { lastSeq: 1, reason: "customer-ended-call" });
    expect(closed.status).toBe(200);
    expect(await closed.json()).toMatchObject({
      state: "discarded",
      consent: "deferred",
      endedReason: "customer-ended-call",
    });
    await evict();
    await expectNothingLeft(id, "discarded", [secret]);
    // A retried close is answered (idempotent), not re-run.
    expect(await (await closeSession(id, { lastSeq: 1 })).json()).toMatchObject({ state: "discarded" });
  });

  it("close while deferred with fragments still missing: discarded without waiting for them", async () => {
    const { id, secret } = await secretCall("close-gap");
    expect(await (await closeSession(id, { lastSeq: 5 })).json()).toMatchObject({ state: "discarded" });
    await evict();
    await expectNothingLeft(id, "discarded", [secret]);
  });

  it("idle timeout while deferred: the alarm discards the session", async () => {
    const { id, secret } = await secretCall("idle-deferred");
    await evict();
    expect((await inspectDo(id, KEY)).alarm).not.toBeNull();
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 601_000); // SESSION_IDLE_TIMEOUT_SECONDS is 600 in this project
    expect(await runDurableObjectAlarm(await stubOf(id, KEY))).toBe(true);
    vi.useRealTimers();
    await evict();
    expect(await (await getStatus(id)).json()).toMatchObject({ state: "discarded", endedReason: "idle-timeout" });
    await expectNothingLeft(id, "discarded", [secret]);
  });
});

describe("consent releases what was held", { timeout: 30_000 }, () => {
  it("consent late in the call releases everything captured since its start, in order", async () => {
    const id = uniqueId("late-consent");
    for (let seq = 0; seq < 3; seq++) {
      await sendFragment(id, secretFragment(seq, `line-${seq}`));
      await evict();
    }
    expect(await r2KeysFor(id)).toEqual([]);
    const granted = (await (await consent(id)).json()) as { consent: string };
    expect(granted.consent).toBe("granted");
    await evict();
    const grantedAt = ((await inspectDo(id, KEY)).meta as { consentGrantedAt: number }).consentGrantedAt;
    await sendFragment(id, secretFragment(3, "line-3"));
    await evict();
    expect(await (await closeSession(id, { lastSeq: 3, reason: "agent-ended-call" })).json()).toMatchObject({
      state: "finalized",
    });
    const record = (await (await getRecord(id)).json()) as {
      transcript: { text: string }[];
      toolCalls: unknown[];
      logs: unknown[];
      metadata: Record<string, unknown>;
      consent: { deferUpload: unknown; grantedAt: string; audioDropped: unknown };
    };
    expect(record.transcript.map((t) => t.text)).toEqual([0, 1, 2, 3].map((n) => `my card number is line-${n}`));
    expect(record.toolCalls).toHaveLength(4);
    expect(record.logs).toHaveLength(4);
    expect(record.metadata).toEqual({ k0: "line-0", k1: "line-1", k2: "line-2", k3: "line-3" });
    expect(record.consent).toEqual({
      deferUpload: true,
      grantedAt: new Date(grantedAt).toISOString(),
      audioDropped: null,
    });
    expect(await r2KeysFor(id)).toEqual([`records/${(await inspectDo(id, KEY)).meta?.tenant}/${id}.json`]);
  });

  it("consent is idempotent: the first grant's time is kept", async () => {
    const id = uniqueId("consent-twice");
    await sendFragment(id, secretFragment(0, "x"));
    const first = await consent(id);
    expect(first.status).toBe(200);
    const before = (await inspectDo(id, KEY)).meta?.consentGrantedAt;
    await evict();
    expect((await consent(id)).status).toBe(200);
    expect((await inspectDo(id, KEY)).meta?.consentGrantedAt).toBe(before);
  });

  it("consent as first contact: 404 without agentId/mode, a granted session with them", async () => {
    const id = uniqueId("consent-first");
    await expectStatus(await consent(id), 404, "session_not_found");
    expect(await (await consent(id, { agentId: 42, mode: "observe", deferUpload: true })).json()).toMatchObject({
      state: "open",
      consent: "granted",
    });
    expect((await sendFragment(id, secretFragment(0, "x"))).status).toBe(200);
    expect(await (await closeSession(id, { lastSeq: 0 })).json()).toMatchObject({ state: "finalized" });
  });

  it("abort after finalization is 409 session_finalized and the record stays", async () => {
    const id = uniqueId("abort-final");
    await sendFragment(id, secretFragment(0, "kept"));
    await consent(id);
    await closeSession(id, { lastSeq: 0 });
    await evict();
    await expectStatus(await abort(id), 409, "session_finalized");
    await expectStatus(await abortRecording(id), 409, "session_finalized");
    expect((await getRecord(id)).status).toBe(200);
    expect(await (await consent(id)).json()).toMatchObject({ state: "finalized", consent: "granted" });
  });
});

describe('deferUpload: "audio" and abortRecording keep everything but audio', { timeout: 30_000 }, () => {
  it('deferUpload "audio" closed without consent: the rest is finalized, the record says audio was dropped', async () => {
    const id = uniqueId("audio-only");
    await sendFragment(id, secretFragment(0, "kept", "audio"));
    await evict();
    expect(await (await getStatus(id)).json()).toMatchObject({ consent: "deferred", deferUpload: "audio" });
    expect(await (await closeSession(id, { lastSeq: 0 })).json()).toMatchObject({ state: "finalized" });
    const record = (await (await getRecord(id)).json()) as { transcript: unknown[]; audio: unknown; consent: unknown };
    expect(record.transcript).toHaveLength(1);
    expect(record.audio).toBeNull();
    expect(record.consent).toEqual({ deferUpload: "audio", grantedAt: null, audioDropped: "no-consent" });
  });

  it("abortRecording drops the audio only; the session goes on and says so in its record", async () => {
    const id = uniqueId("abort-recording");
    await sendFragment(id, secretFragment(0, "kept", false));
    expect(await (await abortRecording(id)).json()).toMatchObject({
      state: "open",
      audioDropped: "abort-recording",
      destroyedAt: null,
    });
    await evict();
    expect((await abortRecording(id)).status).toBe(200); // idempotent
    expect((await sendFragment(id, secretFragment(1, "kept", false))).status).toBe(200);
    expect(await (await closeSession(id, { lastSeq: 1 })).json()).toMatchObject({ state: "finalized" });
    const record = (await (await getRecord(id)).json()) as { transcript: unknown[]; audio: unknown; consent: unknown };
    expect(record.transcript).toHaveLength(2);
    expect(record.audio).toBeNull();
    expect(record.consent).toEqual({ deferUpload: false, grantedAt: null, audioDropped: "abort-recording" });
  });
});

describe("consent routes validate their input", { timeout: 30_000 }, () => {
  it("accepts no body, rejects a bad one with 400 {error, detail}", async () => {
    const id = uniqueId("bad-body");
    expect((await call("POST", `/v1/sessions/${id}/abort`)).status).toBe(200);
    const bad = await call("POST", `/v1/sessions/${uniqueId()}/consent`, { agentId: "x" });
    const body = await expectStatus(bad, 400, "invalid_body");
    expect(body.detail).toContain("agentId");
    expect((await call("POST", `/v1/sessions/${id}/abort`, undefined, null)).status).toBe(401);
  });
});

// Multi-MiB audio on a shared 2-core machine: a generous per-test limit (not a speed claim).
describe("audio: held while deferred, destroyed on abort, released on consent", { timeout: 60_000 }, () => {
  it("abort while deferred with audio held in the Durable Object: every audio byte is deleted", async () => {
    const { id, secret } = await secretCall("abort-audio-held");
    expect((await putAudio(id, 0, pcm(1))).status).toBe(200);
    await evict();
    expect((await putAudio(id, 2, pcm(1))).status).toBe(200); // behind a gap: held separately
    await evict();
    const held = await inspectDo(id, KEY);
    expect(held.tables.audio_chunk_rows).toBeGreaterThan(0); // the check below can fail
    expect(await audioUpload(id, KEY)).toBeUndefined(); // deferred: no upload was even started
    expect(await r2KeysFor(id)).toEqual([]);
    await expectStatus(await abort(id), 200);
    await evict();
    await expectNothingLeft(id, "aborted", [secret]);
  });

  it("abort mid-audio-part after consent: uploaded parts are aborted, held bytes deleted", async () => {
    const { id, secret } = await secretCall("abort-audio-part");
    await consent(id);
    await evict();
    // 3 x 4 MiB: part 2 (5 MiB) is uploaded to R2's multipart upload; the rest waits in the DO.
    for (let seq = 0; seq < 3; seq++) {
      expect((await putAudio(id, seq, pcm(65.536, seq + 1))).status).toBe(200);
      await evict();
    }
    const upload = await audioUpload(id, KEY);
    expect(upload).toBeDefined();
    expect(await multipartStillOpen(upload!.key, upload!.uploadId)).toBe(true); // the check below can fail
    expect((await inspectDo(id, KEY)).tables.audio_chunk_rows).toBeGreaterThan(0);
    await expectStatus(await abort(id), 200);
    await evict();
    await expectNothingLeft(id, "aborted", [secret], upload);
  });

  it("close while deferred with audio held: discarded, no audio object, no upload", async () => {
    const id = uniqueId("close-audio");
    await sendFragment(id, secretFragment(0, "x"));
    await putAudio(id, 0, pcm(2));
    await evict();
    expect(await (await closeSession(id, { lastSeq: 0, lastAudioSeq: 0 })).json()).toMatchObject({
      state: "discarded",
    });
    await evict();
    await expectNothingLeft(id, "discarded", ["x-never-sent"]);
  });

  it("consent late in the call releases the audio held since the start, aligned with the transcript", async () => {
    const id = uniqueId("late-audio");
    // 3 s of call: transcript at 0-0.5 s and 2-2.5 s, one audio chunk per second (as the SDK sends).
    await sendFragment(id, fragment(0, [say("user", "hello", 0)], { deferUpload: true, callStartedAt: at(0) }));
    for (let seq = 0; seq < 3; seq++) {
      await putAudio(id, seq, pcm(1, seq + 1));
      await evict();
    }
    expect(await r2KeysFor(id)).toEqual([]);
    await consent(id);
    await evict();
    await sendFragment(id, fragment(1, [say("assistant", "hi there", 2000)]));
    const closed = await closeSession(id, { lastSeq: 1, lastAudioSeq: 2 });
    expect(await closed.json()).toMatchObject({ state: "finalized" });
    const record = (await (await getRecord(id)).json()) as {
      startedAt: string;
      transcript: { text: string; startedAt: string }[];
      audio: { key: string; durationSeconds: number; bytes: number } | null;
      consent: { grantedAt: string | null; audioDropped: unknown };
    };
    expect(record.transcript.map((t) => t.text)).toEqual(["hello", "hi there"]);
    expect(record.audio).toMatchObject({ durationSeconds: 3, bytes: 44 + 3 * RATE * 4 });
    expect(record.consent.grantedAt).not.toBeNull();
    // The WAV holds every byte captured before consent, in order: second 1 is filled with 1s, etc.
    const wav = (await r2Bytes(record.audio!.key))!;
    for (let second = 0; second < 3; second++) expect(wav[44 + second * RATE * 4 + 100]).toBe(second + 1);
    // Transcript times fall inside the audio: both count from the call start.
    const last = record.transcript.at(-1)!;
    expect((Date.parse(last.startedAt) - Date.parse(record.startedAt)) / 1000).toBeLessThan(
      record.audio!.durationSeconds,
    );
  });

  it("abortRecording after parts were uploaded: the upload is aborted, the rest is finalized", async () => {
    const id = uniqueId("abort-rec-upload");
    await sendFragment(id, secretFragment(0, "kept", false));
    for (let seq = 0; seq < 3; seq++) await putAudio(id, seq, pcm(65.536, 9));
    const upload = await audioUpload(id, KEY);
    expect(upload).toBeDefined();
    await evict();
    expect((await abortRecording(id)).status).toBe(200);
    await evict();
    expect(await multipartStillOpen(upload!.key, upload!.uploadId)).toBe(false);
    expect((await inspectDo(id, KEY)).tables.audio_chunk_rows).toBe(0);
    await expectStatus(await putAudio(id, 3, pcm(1)), 409, "recording_aborted");
    expect(await (await closeSession(id, { lastSeq: 0 })).json()).toMatchObject({ state: "finalized" });
    expectRecordWithoutAudio(await (await getRecord(id)).json(), "abort-recording", 1);
    expect((await r2KeysFor(id)).filter((k) => !k.startsWith("records/"))).toEqual([]);
  });

  it('deferUpload "audio" closed without consent: transcript finalized, audio bytes gone', async () => {
    const id = uniqueId("audio-deferred-drop");
    await sendFragment(id, secretFragment(0, "kept", "audio"));
    await putAudio(id, 0, pcm(1));
    await evict();
    expect(await (await closeSession(id, { lastSeq: 0, lastAudioSeq: 0 })).json()).toMatchObject({
      state: "finalized",
    });
    await evict();
    expectRecordWithoutAudio(await (await getRecord(id)).json(), "no-consent", 1);
    expect((await r2KeysFor(id)).filter((k) => !k.startsWith("records/"))).toEqual([]);
    const stored = await inspectDo(id, KEY);
    expect(stored.tables.audio_chunk_rows).toBe(0);
  });
});
