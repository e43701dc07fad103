/**
 * Consent end to end through the SDK (Node): the real local Worker (wrangler dev on workerd) forwards to
 * the Cekura stand-in on 127.0.0.1. Aborted and discarded calls reach the stand-in with zero requests;
 * a call whose consent comes late is delivered whole. Storage-level proofs (R2, Durable Object rows)
 * are in test/worker/consent.test.ts.
 */
import { describe, expect, it } from "vitest";
import { CekuraTracer } from "../../sdk/index.ts";
import { sessionId, useForwardHarness } from "../support/forward-harness.ts";
import { expectRecordWithoutAudio } from "../support/record-expect.ts";

const h = useForwardHarness();

/** The SDK, pointed at the current Worker: a restart (hard eviction) moves it to a new port. */
function tracer() {
  const followWorker = (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const current = new URL(h.worker.url);
    url.host = current.host;
    return input instanceof Request ? fetch(new Request(url, input)) : fetch(url, init);
  };
  return h.tracer({
    enableOtelTraces: false,
    fetch: followWorker,
    // Requests that hit the Worker while it restarts are retried soon after it is back.
    retry: { maxAttempts: 30, maxDelayMs: 1000 },
    requestTimeoutMs: 5000,
  });
}

/** A few seconds of a call: two turns with audio, a tool call, a log and metadata, each carrying `secret`. */
function speak(session: ReturnType<CekuraTracer["observe"]>, secret: string, offsetMs = 0) {
  const t0 = Date.now() - 60_000 + offsetMs;
  session.setCustomMetadata({ note: secret });
  session.audio("user", new Int16Array(16_000).fill(1234), 16_000);
  session.transcript({ role: "user", text: `my account is ${secret}`, startedAt: t0, endedAt: t0 + 800 });
  session.toolCall({ id: `t-${offsetMs}`, name: "lookup", arguments: { secret } });
  session.toolResult({ id: `t-${offsetMs}`, result: { ok: true } });
  session.log("info", `looked up ${secret}`);
  session.transcript({ role: "assistant", text: `found ${secret}`, startedAt: t0 + 1000, endedAt: t0 + 1800 });
}

/** Nothing about the session reached Cekura: no request names it or carries any of its text. */
function expectNothingForwarded(id: string, secret: string) {
  expect(h.requests(id)).toEqual([]);
  expect(
    h.standIn.received.filter(
      (r) => JSON.stringify(r.body ?? "").includes(secret) || JSON.stringify(r.body ?? "").includes(id),
    ),
  ).toEqual([]);
}

/** A call started with `deferUpload: true` that has spoken a fresh secret and flushed it to the Worker. */
async function deferredCallWithSecret(tag: string) {
  const id = sessionId(tag);
  const secret = `SECRET-${crypto.randomUUID()}`;
  const s = tracer().observe({ sessionId: id, deferUpload: true });
  speak(s, secret);
  await s.flush();
  return { id, secret, s };
}

/** A plain call after the case, delivered: the outbox ran, so an unwanted forward would have shown up too. */
async function deliverControlCall() {
  const id = sessionId("control");
  const s = tracer().observe({ sessionId: id });
  speak(s, "control");
  await s.close();
  expect((await h.api().settled(id)).status).toBe("delivered");
}

describe("consent through the SDK against the Cekura stand-in", () => {
  it("observe({deferUpload: true}) then abort(): the call never reaches Cekura, the Worker refuses it afterwards", async () => {
    const { id, secret, s } = await deferredCallWithSecret("sdk-abort");
    expect((await h.api().status(id)).json).toMatchObject({ state: "open", consent: "deferred" });
    await h.restartWorker(); // every Durable Object evicted; state on disk only
    const status = await s.abort();
    expect(status).toMatchObject({ state: "aborted", consent: "aborted" });
    expect((await h.api().status(id)).json).toMatchObject({
      state: "aborted",
      consent: "aborted",
      counts: { fragments: 1 },
    });
    expect(
      (
        await h.api().fragment(id, {
          agentId: 42,
          mode: "observe",
          seq: 7,
          sentAt: new Date().toISOString(),
          events: [],
        })
      ).json,
    ).toMatchObject({ error: "session_aborted" });
    expect((await h.api().call("POST", `/v1/sessions/${id}/consent`, {})).status).toBe(409);
    await deliverControlCall();
    expectNothingForwarded(id, secret);
  });

  it("a deferred call closed without consent is discarded: nothing reaches Cekura", async () => {
    const { id, secret, s } = await deferredCallWithSecret("sdk-discard");
    await h.restartWorker();
    speak(s, secret, 2000);
    const closed = await s.close({ reason: "customer-ended-call" });
    expect(closed).toMatchObject({ state: "discarded", consent: "deferred" });
    expect((await h.api().record(id)).status).toBe(409);
    await deliverControlCall();
    expectNothingForwarded(id, secret);
  });

  it("startAudioUpload() late in the call releases everything captured since its start", async () => {
    const id = sessionId("sdk-late-consent");
    const s = tracer().observe({ sessionId: id, deferUpload: true });
    speak(s, "before-consent-1");
    await s.flush();
    speak(s, "before-consent-2", 2000);
    await s.flush();
    expect(h.requests(id)).toEqual([]);
    const granted = await s.startAudioUpload();
    expect(granted).toMatchObject({ state: "open", consent: "granted" });
    speak(s, "after-consent", 4000);
    expect(await s.close()).toMatchObject({ state: "finalized" });
    expect((await h.api().settled(id)).status).toBe("delivered");
    const [call] = h.storedCalls(id);
    const body = call!.body as { transcript_json: { role: string; content?: string }[] };
    expect(body.transcript_json.filter((e) => e.role === "user").map((e) => e.content)).toEqual([
      "my account is before-consent-1",
      "my account is before-consent-2",
      "my account is after-consent",
    ]);
    const record = (await h.api().record(id)).json as { consent: { grantedAt: string | null; deferUpload: unknown } };
    expect(record.consent.deferUpload).toBe(true);
    expect(record.consent.grantedAt).not.toBeNull();
  });

  it("startAudioUpload() releases the audio held since the start, aligned with the transcript", async () => {
    const id = sessionId("sdk-consent-audio");
    const s = tracer().observe({ sessionId: id, deferUpload: true });
    const start = Date.now();
    const tone = new Int16Array(16_000).fill(8000); // 1 s at 16 kHz
    // The user speaks during second 0-1, the assistant during second 1-2 (left / right channel).
    s.audio("user", tone, 16_000, start);
    s.transcript({ role: "user", text: "hello", startedAt: start, endedAt: start + 1000 });
    s.audio("assistant", tone, 16_000, start + 1000);
    s.transcript({ role: "assistant", text: "hi, how can I help?", startedAt: start + 1000, endedAt: start + 2000 });
    await s.flush();
    expect(h.requests(id)).toEqual([]);
    expect(await s.startAudioUpload()).toMatchObject({ consent: "granted" });
    expect(await s.close()).toMatchObject({ state: "finalized" });
    expect((await h.api().settled(id)).status).toBe("delivered");
    const [call] = h.storedCalls(id);
    const body = call!.body as { transcript_json: { role: string; start_time?: number; end_time?: number }[] };
    const speech = body.transcript_json.filter((e) => e.role === "user" || e.role === "assistant");
    expect(speech.map((e) => e.role)).toEqual(["user", "assistant"]);
    const [userAt, assistantAt] = speech.map((e) => e.start_time!); // seconds from the call start
    const wav = call!.files.find((f) => f.field === "voice_recording")!.bytes;
    const view = new DataView(wav.buffer, wav.byteOffset, wav.byteLength);
    const rate = view.getUint32(24, true);
    const sample = (seconds: number, channel: 0 | 1) =>
      view.getInt16(44 + (Math.floor(seconds * rate) * 2 + channel) * 2, true);
    // Half a second into each utterance (transcript time): the speaker's channel carries the tone, the other is silent.
    expect([sample(userAt! + 0.5, 0), sample(userAt! + 0.5, 1)]).toEqual([8000, 0]);
    expect([sample(assistantAt! + 0.5, 0), sample(assistantAt! + 0.5, 1)]).toEqual([0, 8000]);
  });

  it('deferUpload "audio" without consent: the rest is finalized, the record says audio was dropped', async () => {
    const id = sessionId("sdk-audio-only");
    const s = tracer().observe({ sessionId: id, deferUpload: "audio" });
    speak(s, "kept");
    expect(await s.close()).toMatchObject({ state: "finalized" });
    expectRecordWithoutAudio((await h.api().record(id)).json, "no-consent", 2);
    // Only the audio was held: the rest of the call is delivered, without a recording.
    expect((await h.api().settled(id)).status).toBe("delivered");
    const [call] = h.storedCalls(id);
    expect(call!.files).toEqual([]);
    expect(
      (call!.body as { metadata: { cekura_tracer: Record<string, unknown> } }).metadata.cekura_tracer.audio_dropped,
    ).toBe("no-consent");
  });

  it("abortRecording() keeps the rest of the call and delivers it without audio", async () => {
    const id = sessionId("sdk-abort-recording");
    const s = tracer().observe({ sessionId: id });
    speak(s, "kept");
    expect(await s.abortRecording()).toMatchObject({ state: "open" });
    expect(await s.close()).toMatchObject({ state: "finalized" });
    expect((await h.api().settled(id)).status).toBe("delivered");
    expectRecordWithoutAudio((await h.api().record(id)).json, "abort-recording", 2);
    const [call] = h.storedCalls(id);
    expect(call!.files).toEqual([]);
  });
});
