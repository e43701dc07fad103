/**
 * The inspector at any call length: a 2-hour recording renders (waveform peaks sampled within the budget, stored next
 * to the record, read from there afterwards) and plays (every Range is served from a ranged read), and
 * with S3 storage each Range is a ranged GetObject, never a download of the whole object.
 */
import { env, reset } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { audioResponse } from "../../worker/inspect/audio-response.ts";
import { peaksKey } from "../../worker/inspect/peaks.ts";
import { squareWave as frames, wavHeader } from "../support/wav-bytes.ts";
import { call, closeSession, fragment, KEY, say, sendFragment, tenantOf, uniqueId } from "../support/workerd/api.ts";

afterEach(() => reset());

const RATE = 8000;
const SECONDS = 2 * 60 * 60;
const PCM_BYTES = SECONDS * RATE * 4;
const WAV_BYTES = 44 + PCM_BYTES;
const PART = 5 * 1024 * 1024;

/** Byte `at` of the 2-hour WAV: header, then loud user parts (even) and quiet ones (odd); the tail is loud assistant. */
const LOUD = 20000;
const QUIET = 1000;
function partBodies() {
  const loud = frames(PART, LOUD, QUIET);
  const quiet = frames(PART, QUIET, QUIET);
  const first = new Uint8Array(PART);
  first.set(wavHeader(RATE, PCM_BYTES));
  first.set(frames(PART - 44, LOUD, QUIET), 44);
  const parts = Math.ceil(WAV_BYTES / PART);
  const tailBytes = WAV_BYTES - (parts - 1) * PART;
  const tail = frames(tailBytes, QUIET, LOUD);
  return { parts, body: (n: number) => (n === 1 ? first : n === parts ? tail : n % 2 === 0 ? quiet : loud) };
}

/** A finalized session with a short real recording, whose WAV is then replaced by a 2-hour one built by multipart. */
async function twoHourCall(): Promise<{ id: string; key: string }> {
  const id = uniqueId("long");
  const events = [
    say("user", "Hello, I have a long question.", 0, 3000),
    say("assistant", "Take your time.", SECONDS * 1000 - 5000, SECONDS * 1000 - 1000),
  ];
  expect((await sendFragment(id, fragment(0, events))).status).toBe(200);
  const chunk = await call("PUT", `/v1/sessions/${id}/audio/0`, new Uint8Array(RATE * 4), KEY, {
    "content-type": "application/octet-stream",
    "x-audio-sample-rate": String(RATE),
  });
  expect(chunk.status).toBe(200);
  const closed = (await (await closeSession(id, { lastSeq: 0, lastAudioSeq: 0 })).json()) as { state: string };
  expect(closed.state).toBe("finalized");

  const recordKey = `records/${await tenantOf(KEY)}/${id}.json`;
  const record = (await (await env.RECORDINGS.get(recordKey))!.json()) as {
    audio: { key: string; durationSeconds: number; bytes: number };
  };
  const key = record.audio.key;
  const { parts, body } = partBodies();
  const upload = await env.RECORDINGS.createMultipartUpload(key);
  const uploaded: R2UploadedPart[] = [];
  for (let n = 1; n <= parts; n++) uploaded.push(await upload.uploadPart(n, body(n)));
  await upload.complete(uploaded);
  record.audio = { ...record.audio, durationSeconds: SECONDS, bytes: WAV_BYTES };
  await env.RECORDINGS.put(recordKey, JSON.stringify(record));
  return { id, key };
}

async function rangeOf(
  id: string,
  range: string,
): Promise<{ status: number; contentRange: string | null; bytes: Uint8Array }> {
  const res = await call("GET", `/inspect/${id}/audio.wav`, undefined, KEY, { range });
  return {
    status: res.status,
    contentRange: res.headers.get("content-range"),
    bytes: new Uint8Array(await res.arrayBuffer()),
  };
}

describe("the inspector on a 2-hour call", () => {
  it("renders the page with stored waveform peaks and bounded axis ticks, and serves the recording by ranges", {
    timeout: 240_000,
  }, async () => {
    const { id, key } = await twoHourCall();
    expect((await env.RECORDINGS.head(key))!.size).toBe(WAV_BYTES);

    const page = await call("GET", `/inspect/${id}`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain(`<audio id="player" controls preload="metadata" src="/inspect/${id}/audio.wav">`);
    // 230 MB of samples is past the peaks budget (32 MiB read): the waveform is sampled, 300 buckets.
    expect(html.match(/data-buckets="300"/g)).toHaveLength(2);
    expect(html).toContain("7200 s");
    const ticks = [...html.matchAll(/<div class="axis">(.*?)<\/div>/g)][0]![1]!.match(/<span /g) ?? [];
    expect(ticks.length).toBeGreaterThan(3);
    expect(ticks.length).toBeLessThanOrEqual(12);

    // The sampled peaks still show loud user parts, quiet ones, and the loud assistant tail.
    const peaks = (await (await env.RECORDINGS.get(peaksKey(await tenantOf(KEY), id)))!.json()) as {
      durationSeconds: number;
      channels: [number, number][][];
    };
    expect(peaks.durationSeconds).toBe(SECONDS);
    const [user, assistant] = peaks.channels as [[number, number][], [number, number][]];
    expect(user).toHaveLength(300);
    const bucketOfByte = (byte: number) => Math.floor((byte / WAV_BYTES) * 300);
    expect(user[bucketOfByte(PART * 0.5)]![1]).toBeCloseTo(LOUD / 32767, 3);
    expect(user[bucketOfByte(PART * 1.5)]![1]).toBeCloseTo(QUIET / 32767, 3);
    expect(user[bucketOfByte(PART * 2.5)]![1]).toBeCloseTo(LOUD / 32767, 3);
    expect(assistant[299]![1]).toBeCloseTo(LOUD / 32767, 3);
    expect(assistant[299]![0]).toBeCloseTo(-LOUD / 32768, 3);
    expect(assistant[150]![1]).toBeCloseTo(QUIET / 32767, 3);

    // A later view reads the stored peaks instead of the WAV: a mark put into them shows on the page.
    const stored = (await (await env.RECORDINGS.get(peaksKey(await tenantOf(KEY), id)))!.json()) as {
      channels: [number, number][][];
    };
    stored.channels[0]![0] = [-0.5, 0.4242];
    await env.RECORDINGS.put(peaksKey(await tenantOf(KEY), id), JSON.stringify(stored));
    expect(await (await call("GET", `/inspect/${id}`)).text()).toContain(
      `points="0,${(50 - 0.4242 * 48).toFixed(1)} 1,`,
    );

    // Plays: the header says 2 hours; ranges anywhere, including the last bytes, come back exact.
    const head = await rangeOf(id, "bytes=0-43");
    expect(head.status).toBe(206);
    expect(head.contentRange).toBe(`bytes 0-43/${WAV_BYTES}`);
    expect(new DataView(head.bytes.buffer).getUint32(40, true) / (RATE * 4)).toBe(SECONDS);
    const { parts, body } = partBodies();
    const middle = 40 * PART + 123_456;
    const mid = await rangeOf(id, `bytes=${middle}-${middle + 65_535}`);
    expect(mid.status).toBe(206);
    expect(mid.bytes).toEqual(body(41).subarray(123_456, 123_456 + 65_536));
    const end = await rangeOf(id, "bytes=-1000");
    expect(end.contentRange).toBe(`bytes ${WAV_BYTES - 1000}-${WAV_BYTES - 1}/${WAV_BYTES}`);
    const tail = body(parts);
    expect(end.bytes).toEqual(tail.subarray(tail.byteLength - 1000));
    // Without a Range the whole file is streamed with its length (read here only to its first bytes).
    const whole = await call("GET", `/inspect/${id}/audio.wav`);
    expect(whole.status).toBe(200);
    expect(whole.headers.get("content-length")).toBe(String(WAV_BYTES));
    const reader = whole.body!.getReader();
    expect((await reader.read()).value!.byteLength).toBeGreaterThan(0);
    await reader.cancel();
  });
});

describe("the recording with S3 storage", () => {
  it("answers each Range with a ranged GetObject of exactly that range, never the whole object", async () => {
    const requests: { method: string; range: string | null; bytes: number }[] = [];
    const size = WAV_BYTES;
    const realFetch = globalThis.fetch;
    // A 2-hour object that exists only as a function of the byte offset: an S3 that answers HEAD and ranged GETs.
    globalThis.fetch = async function fakeS3(input: RequestInfo | URL, init?: RequestInit) {
      const request = new Request(input, init);
      if (new URL(request.url).hostname !== "s3.test") return realFetch(request);
      const range = request.headers.get("range");
      if (request.method === "HEAD") {
        requests.push({ method: "HEAD", range, bytes: 0 });
        return new Response(null, { headers: { "content-length": String(size), etag: '"e1"' } });
      }
      const match = /^bytes=(\d+)-(\d+)$/.exec(range ?? "");
      const [start, end] = match ? [Number(match[1]), Number(match[2])] : [0, size - 1];
      const bytes = Uint8Array.from({ length: end - start + 1 }, (_, i) => (start + i) % 251);
      requests.push({ method: "GET", range, bytes: bytes.byteLength });
      return new Response(bytes, {
        status: match ? 206 : 200,
        headers: { "content-length": String(bytes.byteLength) },
      });
    };
    try {
      const s3Env = {
        ...env,
        S3_ENDPOINT: "http://s3.test",
        S3_REGION: "us-east-1",
        S3_BUCKET: "calls",
        S3_ACCESS_KEY_ID: "k",
        S3_SECRET_ACCESS_KEY: "s",
      };
      const res = await audioResponse(s3Env, "audio/t/s.wav", `bytes=${size - 4096}-`);
      expect(res.status).toBe(206);
      expect(res.headers.get("content-range")).toBe(`bytes ${size - 4096}-${size - 1}/${size}`);
      const got = new Uint8Array(await res.arrayBuffer());
      expect(got).toEqual(Uint8Array.from({ length: 4096 }, (_, i) => (size - 4096 + i) % 251));
      const middle = await audioResponse(s3Env, "audio/t/s.wav", "bytes=1000000-1000099");
      expect(new Uint8Array(await middle.arrayBuffer())).toEqual(
        Uint8Array.from({ length: 100 }, (_, i) => (1_000_000 + i) % 251),
      );
      expect(requests).toEqual([
        { method: "HEAD", range: null, bytes: 0 },
        { method: "GET", range: `bytes=${size - 4096}-${size - 1}`, bytes: 4096 },
        { method: "HEAD", range: null, bytes: 0 },
        { method: "GET", range: "bytes=1000000-1000099", bytes: 100 },
      ]);
    } finally {
      globalThis.fetch = realFetch;
    }
  });
});
