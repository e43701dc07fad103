import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  api,
  type ForwardHarness,
  KEY,
  requestsFor,
  sampleFragment,
  sessionId,
  startForwardHarness,
} from "../support/forward-harness.ts";
import { startLocalS3, type LocalS3 } from "../support/s3rver.ts";
import { expectedWav, putAudio, sha256, stereoPcm } from "../support/wav-fixture.ts";

// Recordings in an S3-compatible bucket (s3rver on 127.0.0.1) instead of R2: the outbox reads them from there.
const SAMPLE_RATE = 8000;
let s3: LocalS3;
beforeAll(async () => {
  s3 = await startLocalS3();
});
afterAll(() => s3?.stop());

async function recordCallWithAudio(h: ForwardHarness, id: string, chunks: Uint8Array[]) {
  const client = api(h);
  expect((await client.fragment(id, sampleFragment("observe"))).status).toBe(200);
  await putAudio(h.worker.url, KEY, id, SAMPLE_RATE, chunks);
  expect(
    (await client.close(id, { lastSeq: 0, lastAudioSeq: chunks.length - 1, reason: "customer-ended-call" })).json.state,
  ).toBe("finalized");
  expect((await client.settled(id)).status).toBe("delivered");
  const [request] = requestsFor(h.standIn, id);
  return request!;
}

describe("forwarding recordings kept in S3", () => {
  it("streams the WAV from S3 as the voice_recording part (default)", { timeout: 120_000 }, async () => {
    const h = await startForwardHarness(s3.vars);
    try {
      const id = sessionId("s3-multipart");
      const chunks = [stereoPcm(3000), stereoPcm(1000, 3000)];
      const request = await recordCallWithAudio(h, id, chunks);
      expect(request.files.map((f) => f.field)).toEqual(["voice_recording"]);
      expect(request.files[0]!.sha256).toBe(sha256(expectedWav(SAMPLE_RATE, chunks)));
    } finally {
      await h.stop();
    }
  });

  it("sends a signed voice_recording_url instead with FORWARD_AUDIO_AS=url, and the URL serves the WAV", {
    timeout: 120_000,
  }, async () => {
    const h = await startForwardHarness({ ...s3.vars, FORWARD_AUDIO_AS: "url", FORWARD_AUDIO_URL_TTL_SECONDS: "600" });
    try {
      const id = sessionId("s3-url");
      const chunks = [stereoPcm(2000)];
      const request = await recordCallWithAudio(h, id, chunks);
      expect(request.contentType).toBe("application/json");
      expect(request.files).toEqual([]);
      const url = (request.body as { voice_recording_url: string }).voice_recording_url;
      expect(url).toMatch(/X-Amz-Signature=/);
      expect(url).toMatch(/X-Amz-Expires=600/);
      const fetched = await fetch(url);
      expect(fetched.status).toBe(200);
      expect(sha256(new Uint8Array(await fetched.arrayBuffer()))).toBe(sha256(expectedWav(SAMPLE_RATE, chunks)));
    } finally {
      await h.stop();
    }
  });
});
