/**
 * Erasure: `DELETE /v1/sessions/:id` with the session's own key leaves only a tombstone. Checked from the
 * outside afterwards: every table of the session's Durable Object but the meta row is empty, no key-value
 * entry, no R2 object for the session (record, audio, waveform peaks), the multipart upload of an open
 * call aborted, and the Durable Objects of its traces (link and parked spans) empty. The tombstone
 * refuses every later write, reports the erasure time, and a repeated DELETE answers the same.
 */
import { abortAllDurableObjects, env, reset } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import {
  audioUpload,
  dumpDo,
  inspectDo,
  inspectTraceLink,
  multipartStillOpen,
  r2KeysFor,
  tenantOfKey,
} from "../support/workerd/inspect-do.ts";
import { call, fragment, freshKey, hex, json, say, spanRequest, uniqueId } from "./support.ts";

afterEach(() => reset());

const RATE = 16_000;
const pcm = (seconds: number, fill = 7) => new Uint8Array(Math.round(seconds * RATE) * 4).fill(fill);
const putAudio = (key: string, id: string, seq: number, bytes: Uint8Array) =>
  call("PUT", `/v1/sessions/${id}/audio/${seq}`, key, bytes, {
    "content-type": "application/octet-stream",
    "x-audio-sample-rate": String(RATE),
    "x-cekura-agent-id": "42",
    "x-cekura-mode": "observe",
  });

interface Receipt {
  sessionId: string;
  state: string;
  erasedAt: string;
  reason: string;
  forwardedToCekura: boolean;
  cekura: string | null;
}

/** Only the tombstone is left, and it refuses every write. */
async function expectOnlyTombstone(key: string, id: string, secret: string, traceIds: string[]) {
  const stored = await inspectDo(id, key);
  expect(stored.tables).toEqual({ session_meta: 1 }); // every other table dropped
  expect(stored.kvKeys).toEqual([]);
  expect(stored.meta).toMatchObject({
    state: "erased",
    destroyComplete: true,
    erasure: { complete: true, traceIds: [] },
  });
  // The tombstone keeps no counts or content, and expires with RETENTION_DAYS (1 day here).
  expect(stored.meta).toMatchObject({ fragmentCount: 0, eventCount: 0 });
  expect(stored.meta).not.toHaveProperty("recordKey");
  expect(stored.alarm).toBe((stored.meta!.erasedAt as number) + 24 * 3600 * 1000);
  expect(await dumpDo(id, key)).not.toContain(secret);
  expect(await r2KeysFor(id)).toEqual([]);
  // A trace object keeps only its link to the erased session (no content), so later spans of the trace are refused.
  for (const traceId of traceIds) {
    const trace = await inspectTraceLink(traceId, key);
    expect({ traceId, parked: trace.tables.parked }).toEqual({ traceId, parked: 0 });
    expect(trace.tables.trace_link ?? 0).toBeLessThanOrEqual(1);
  }
  await abortAllDurableObjects();
  const status = await json<{ state: string; destroyedAt: string | null; erasedAt?: string }>(
    await call("GET", `/v1/sessions/${id}`, key),
  );
  expect(status.state).toBe("erased");
  expect(status.destroyedAt).toBe(new Date(stored.meta!.erasedAt as number).toISOString());
  const refused = async (res: Response) => ({ status: res.status, error: (await json<{ error: string }>(res)).error });
  expect(
    await refused(await call("POST", `/v1/sessions/${id}/fragments`, key, fragment(7, [say("user", "late", 0)]))),
  ).toEqual({ status: 409, error: "session_erased" });
  expect(await refused(await putAudio(key, id, 50, pcm(0.1)))).toEqual({ status: 409, error: "session_erased" });
  expect(await refused(await call("POST", `/v1/sessions/${id}/consent`, key, {}))).toEqual({
    status: 409,
    error: "session_erased",
  });
  expect(await refused(await call("POST", `/v1/sessions/${id}/abort`, key, {}))).toEqual({
    status: 409,
    error: "session_erased",
  });
  expect(await refused(await call("POST", `/v1/sessions/${id}/close`, key, { lastSeq: 7 }))).toEqual({
    status: 409,
    error: "session_erased",
  });
  const late = await json<{ partialSuccess?: { rejectedSpans: string } }>(
    await call("POST", "/v1/traces", key, spanRequest(id, "late span")),
  );
  expect(late.partialSuccess?.rejectedSpans).toBe("1");
  expect((await inspectDo(id, key)).tables.otel_spans ?? 0).toBe(0); // the table may never have been created
}

describe("DELETE /v1/sessions/:id", () => {
  it("erases a finalized call: record, audio, waveform peaks, spans and its traces' parked spans; keeps a tombstone", async () => {
    const key = freshKey();
    const tenant = await tenantOfKey(key);
    const id = uniqueId("erase-final");
    const secret = `SECRET-${crypto.randomUUID()}`;
    expect(
      (await call("POST", `/v1/sessions/${id}/fragments`, key, fragment(0, [say("user", secret, 0)]))).status,
    ).toBe(200);
    expect((await putAudio(key, id, 0, pcm(1))).status).toBe(200);
    // Trace 1 names the session (conversation.id): its own object links it. Trace 2 reaches the session by
    // header only, so a span of trace 2 sent without either waits parked in trace 2's object.
    const t1 = hex(32);
    const t2 = hex(32);
    expect((await call("POST", "/v1/traces", key, spanRequest(id, secret, t1))).status).toBe(200);
    const byHeader = spanRequest(id, secret, t2);
    byHeader.resourceSpans[0]!.scopeSpans[0]!.spans[0]!.attributes.shift();
    expect((await call("POST", "/v1/traces", key, byHeader, { "x-cekura-session-id": id })).status).toBe(200);
    const orphan = spanRequest(id, secret, t2);
    orphan.resourceSpans[0]!.scopeSpans[0]!.spans[0]!.attributes.shift();
    expect((await call("POST", "/v1/traces", key, orphan)).status).toBe(200);
    expect((await inspectTraceLink(t2, key)).tables.parked).toBe(1); // the check below can fail
    expect((await inspectTraceLink(t1, key)).tables.trace_link).toBe(1);

    expect((await call("POST", `/v1/sessions/${id}/close`, key, { lastSeq: 0, lastAudioSeq: 0 })).status).toBe(200);
    await env.RECORDINGS.put(`peaks/${tenant}/${id}.json`, JSON.stringify({ peaks: [secret] }));
    const keysBefore = await r2KeysFor(id);
    expect(keysBefore.sort()).toEqual([
      `audio/${tenant}/${id}.wav`,
      `peaks/${tenant}/${id}.json`,
      `records/${tenant}/${id}.json`,
    ]);
    expect((await inspectDo(id, key)).tables.otel_spans).toBe(2);
    await abortAllDurableObjects();

    const res = await call("DELETE", `/v1/sessions/${id}`, key);
    expect(res.status).toBe(200);
    const receipt = await json<Receipt>(res);
    expect(receipt).toMatchObject({
      sessionId: id,
      state: "erased",
      reason: "request",
      forwardedToCekura: false,
      cekura: null,
    });
    expect(Date.parse(receipt.erasedAt)).toBeGreaterThan(Date.now() - 60_000);
    await abortAllDurableObjects();
    await expectOnlyTombstone(key, id, secret, [t1, t2]);
    expect((await call("GET", `/v1/sessions/${id}/record`, key)).status).toBe(409);

    // Idempotent: the same answer, the same erasure time.
    const again = await call("DELETE", `/v1/sessions/${id}`, key);
    expect(again.status).toBe(200);
    expect(await json<Receipt>(again)).toEqual(receipt);
  });

  it("erases an open call mid-upload: the multipart upload is aborted and held audio deleted", async () => {
    const key = freshKey();
    const id = uniqueId("erase-open");
    const secret = `SECRET-${crypto.randomUUID()}`;
    await call("POST", `/v1/sessions/${id}/fragments`, key, fragment(0, [say("user", secret, 0)]));
    // 3 x 4 MiB: part 2 (5 MiB) goes to R2's multipart upload; the rest waits in the DO.
    for (let seq = 0; seq < 3; seq++) expect((await putAudio(key, id, seq, pcm(65.536, seq + 1))).status).toBe(200);
    const upload = await audioUpload(id, key);
    expect(upload).toBeDefined();
    expect(await multipartStillOpen(upload!.key, upload!.uploadId)).toBe(true); // the check below can fail
    expect((await inspectDo(id, key)).tables.audio_chunk_rows).toBeGreaterThan(0);

    expect((await call("DELETE", `/v1/sessions/${id}`, key)).status).toBe(200);
    expect(await multipartStillOpen(upload!.key, upload!.uploadId)).toBe(false);
    await expectOnlyTombstone(key, id, secret, []);
  });

  it("another key cannot erase the session (404), and erasing an unknown id leaves a tombstone that refuses it later", async () => {
    const key = freshKey();
    const id = uniqueId("erase-other");
    await call("POST", `/v1/sessions/${id}/fragments`, key, fragment(0, [say("user", "hello", 0)]));
    const other = await call("DELETE", `/v1/sessions/${id}`, freshKey());
    expect(other.status).toBe(200); // the other key's own (empty) session id is tombstoned, not this one
    expect((await json<{ state: string }>(await call("GET", `/v1/sessions/${id}`, key))).state).toBe("open");

    const unknown = uniqueId("erase-unknown");
    const receipt = await call("DELETE", `/v1/sessions/${unknown}`, key);
    expect(receipt.status).toBe(200);
    const erasedAt = Date.parse((await json<Receipt>(receipt)).erasedAt);
    expect(Math.abs(erasedAt - Date.now())).toBeLessThan(60_000);
    const late = await call("POST", `/v1/sessions/${unknown}/fragments`, key, fragment(0, [say("user", "late", 0)]));
    expect(late.status).toBe(409);
  });
});
