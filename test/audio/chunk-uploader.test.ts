import { describe, expect, it } from "vitest";
import { ChunkUploader } from "../../sdk/audio/chunk-uploader.ts";
import type { SdkError } from "../../sdk/errors.ts";
import { createTransport } from "../../sdk/transport.ts";

/** A Worker stand-in in-process: answers each PUT by a scripted status, records what arrived. */
function fakeWorker(script: (seq: number, attempt: number) => number) {
  const received: { seq: number; bytes: number; headers: Record<string, string> }[] = [];
  const attempts = new Map<number, number>();
  const fetch = async (input: string | URL | Request, init?: RequestInit) => {
    const seq = Number(/\/audio\/(\d+)$/.exec(String(input))?.[1]);
    const n = (attempts.get(seq) ?? 0) + 1;
    attempts.set(seq, n);
    const status = script(seq, n);
    if (status === 200) {
      received.push({
        seq,
        bytes: (init?.body as Uint8Array).byteLength,
        headers: Object.fromEntries(new Headers(init?.headers)),
      });
      return Response.json({ ackedThrough: seq, missing: [], bytes: 0 });
    }
    return Response.json(
      { error: status === 403 ? "audio_not_recorded" : "unavailable", detail: "scripted" },
      { status },
    );
  };
  return {
    received,
    attempts,
    transport: createTransport({
      ingestUrl: "http://127.0.0.1:9",
      apiKey: "k",
      fetch,
      retry: { maxAttempts: 2, baseDelayMs: 0, maxDelayMs: 0 },
    }),
  };
}

const uploader = (transport: ReturnType<typeof createTransport>, errors: SdkError[]) =>
  new ChunkUploader({
    transport,
    basePath: "/v1/sessions/s1",
    sampleRate: 16000,
    introHeaders: { "x-cekura-agent-id": "42", "x-cekura-mode": "observe" },
    report: (e) => errors.push(e),
    retryPauseMs: 1,
  });

describe("chunk uploader", () => {
  it("sends chunks in order with their headers, retrying a failing chunk without ever skipping its seq", async () => {
    // Chunk 1 fails 5 times (more than the transport's 2 attempts) before it is accepted.
    const worker = fakeWorker((seq, attempt) => (seq === 1 && attempt <= 5 ? 503 : 200));
    const errors: SdkError[] = [];
    const u = uploader(worker.transport, errors);
    for (let i = 0; i < 4; i++) u.enqueue(new Uint8Array(64 * (i + 1)));
    await u.drain();
    expect(worker.received.map((r) => r.seq)).toEqual([0, 1, 2, 3]);
    expect(worker.received.map((r) => r.bytes)).toEqual([64, 128, 192, 256]);
    expect(worker.received[0]!.headers).toMatchObject({
      "content-type": "application/octet-stream",
      "x-audio-sample-rate": "16000",
      "x-audio-channels": "2",
      "x-cekura-mode": "observe",
      authorization: "Bearer k",
    });
    expect(worker.attempts.get(1)).toBe(6);
    expect(errors.length).toBeGreaterThan(0);
    expect(u.lastSeq).toBe(3);
    expect(u.queuedBytes).toBe(0);
  });

  it("stops for good on a refusal (4xx): nothing more is sent and the error is reported", async () => {
    const worker = fakeWorker((seq) => (seq === 0 ? 403 : 200));
    const errors: SdkError[] = [];
    const u = uploader(worker.transport, errors);
    u.enqueue(new Uint8Array(4));
    u.enqueue(new Uint8Array(4));
    await u.drain();
    expect(worker.received).toEqual([]);
    expect(u.stopped).toBe(true);
    expect(errors.map((e) => e.code)).toEqual(["audio_not_recorded"]);
  });
});
