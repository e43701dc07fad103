import { AwsClient } from "aws4fetch";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalWorker, type LocalWorker } from "../../worker/local/local-worker.ts";
import { noise } from "./signal.ts";
import { listStoredKeys } from "../support/r2-read.ts";
import { parseWavStrict } from "./wav-check.ts";
import { startLocalS3, type LocalS3 } from "../support/s3rver.ts";

// Audio in an S3-compatible bucket (s3rver from npm on 127.0.0.1) instead of R2.
const KEY = `s3-audio-${crypto.randomUUID()}`;
const MiB = 1024 * 1024;
let s3: LocalS3;
let worker: LocalWorker;

beforeAll(async () => {
  s3 = await startLocalS3("call-audio");
  worker = await startLocalWorker({ vars: s3.vars });
});
afterAll(async () => {
  await worker?.stop();
  await s3?.stop();
});

const auth = { authorization: `Bearer ${KEY}` };
const put = (id: string, seq: number, body: Uint8Array) =>
  fetch(`${worker.url}/v1/sessions/${id}/audio/${seq}`, {
    method: "PUT",
    body: body as Uint8Array<ArrayBuffer>,
    headers: {
      ...auth,
      "content-type": "application/octet-stream",
      "x-audio-sample-rate": "48000",
      "x-cekura-agent-id": "42",
      "x-cekura-mode": "observe",
    },
  });
const post = (id: string, action: string, body: unknown) =>
  fetch(`${worker.url}/v1/sessions/${id}/${action}`, {
    method: "POST",
    body: JSON.stringify(body),
    headers: { ...auth, "content-type": "application/json" },
  });

async function getS3(key: string): Promise<Response> {
  const client = new AwsClient({
    accessKeyId: s3.vars.S3_ACCESS_KEY_ID!,
    secretAccessKey: s3.vars.S3_SECRET_ACCESS_KEY!,
    region: "us-east-1",
    service: "s3",
  });
  return client.fetch(`${s3.vars.S3_ENDPOINT}/${s3.bucket}/${key.split("/").map(encodeURIComponent).join("/")}`);
}

const bytesOf = (pcm: Int16Array) => new Uint8Array(pcm.buffer);

describe("audio stored in S3", { timeout: 120_000 }, () => {
  it("writes the WAV by multipart upload to the S3 bucket, byte-exact, and nothing to R2", async () => {
    const id = `s3-${crypto.randomUUID()}`;
    const chunks = [0, 1, 2, 3].map((i) => bytesOf(noise((3 * MiB) / 2, 100 + i)));
    for (const [seq, chunk] of chunks.entries()) expect((await put(id, seq, chunk)).status).toBe(200);
    const closed = await post(id, "close", { lastSeq: -1, lastAudioSeq: 3 });
    expect(((await closed.json()) as { state: string }).state).toBe("finalized");
    const record = (await (await fetch(`${worker.url}/v1/sessions/${id}/record`, { headers: auth })).json()) as {
      audio: { key: string; bytes: number };
    };
    expect(record.audio).toMatchObject({ bytes: 44 + 12 * MiB, sampleRate: 48000, channels: 2 });
    const res = await getS3(record.audio.key);
    expect(res.status).toBe(200);
    const wav = parseWavStrict(new Uint8Array(await res.arrayBuffer()));
    expect(wav.sampleRate).toBe(48000);
    const expected = Buffer.concat(chunks);
    expect(Buffer.from(wav.data).equals(expected)).toBe(true);
    expect(await s3.openUploads()).toEqual([]);
    expect(await listStoredKeys(worker.persistTo, "audio/")).toEqual([]);
  });

  it("aborts the in-progress multipart upload when the session is aborted: nothing is left in S3", async () => {
    const id = `s3-abort-${crypto.randomUUID()}`;
    for (let seq = 0; seq < 3; seq++) expect((await put(id, seq, bytesOf(noise(2 * MiB, seq)))).status).toBe(200);
    expect((await s3.openUploads()).length).toBe(1); // part 2 went up as it filled
    expect((await post(id, "abort", {})).status).toBe(200);
    expect(await s3.openUploads()).toEqual([]);
  });
});
