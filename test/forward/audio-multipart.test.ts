import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { observeSchema } from "../../worker/local/cekura-standin.ts";
import { api, KEY, requestsFor, sampleFragment, sessionId, startForwardHarness, type ForwardHarness } from "../support/forward-harness.ts";

let h: ForwardHarness;
beforeAll(async () => {
  h = await startForwardHarness();
});
afterAll(() => h?.stop());

const SAMPLE_RATE = 16000;

/** 0.75 s of interleaved stereo s16le: a ramp on the left (user), its negation on the right (assistant). */
function stereoPcm(frames: number): Uint8Array {
  const pcm = new Int16Array(frames * 2);
  for (let i = 0; i < frames; i++) {
    pcm[2 * i] = (i * 37) % 32000;
    pcm[2 * i + 1] = -((i * 53) % 32000);
  }
  return new Uint8Array(pcm.buffer);
}

/** The canonical 44-byte PCM WAV header, written out here by hand (independent of worker/audio). */
function wavHeader(dataBytes: number): Uint8Array {
  const b = Buffer.alloc(44);
  b.write("RIFF", 0, "ascii");
  b.writeUInt32LE(36 + dataBytes, 4);
  b.write("WAVE", 8, "ascii");
  b.write("fmt ", 12, "ascii");
  b.writeUInt32LE(16, 16);
  b.writeUInt16LE(1, 20);
  b.writeUInt16LE(2, 22);
  b.writeUInt32LE(SAMPLE_RATE, 24);
  b.writeUInt32LE(SAMPLE_RATE * 4, 28);
  b.writeUInt16LE(4, 32);
  b.writeUInt16LE(16, 34);
  b.write("data", 36, "ascii");
  b.writeUInt32LE(dataBytes, 40);
  return new Uint8Array(b);
}

const sha = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

describe("the recording reaches Cekura as a multipart voice_recording part", () => {
  it("sends the stored WAV byte for byte, streamed beside the observe fields", async () => {
    const id = sessionId("audio");
    const client = api(h);
    expect((await client.fragment(id, sampleFragment("observe"))).status).toBe(200);
    const chunks = [stereoPcm(8000), stereoPcm(4000)];
    for (const [seq, chunk] of chunks.entries()) {
      const res = await fetch(`${h.worker.url}/v1/sessions/${id}/audio/${seq}`, {
        method: "PUT",
        headers: { authorization: `Bearer ${KEY}`, "content-type": "application/octet-stream", "x-audio-sample-rate": String(SAMPLE_RATE) },
        body: chunk,
      });
      expect(res.status, await res.clone().text()).toBe(200);
    }
    const closed = await client.close(id, { lastSeq: 0, lastAudioSeq: 1, reason: "customer-ended-call" });
    expect(closed.json.state).toBe("finalized");
    const record = (await client.record(id)).json as { audio: { key: string; bytes: number; sampleRate: number; channels: number } | null };
    expect(record.audio).toMatchObject({ sampleRate: SAMPLE_RATE, channels: 2 });

    expect((await client.waitForward(id, ["delivered", "dead_letter"])).status).toBe("delivered");
    const [request] = requestsFor(h.standIn, id);
    expect(request?.contentType).toMatch(/^multipart\/form-data; boundary=/);
    expect(request?.headers["content-length"]).toBe(String(request?.rawBytes)); // streamed with a known length

    const pcm = new Uint8Array(Buffer.concat(chunks));
    const expected = new Uint8Array(Buffer.concat([wavHeader(pcm.byteLength), pcm]));
    expect(request?.files).toHaveLength(1);
    const file = request!.files[0]!;
    expect(file.field).toBe("voice_recording");
    expect(file.filename).toBe(`${id}.wav`);
    expect(file.contentType).toBe("audio/wav");
    expect(file.bytes.byteLength).toBe(record.audio!.bytes);
    expect(file.sha256).toBe(sha(expected));

    // The text fields are the same observe payload as in JSON form (form values are text; objects JSON-encoded).
    const body = request?.body as Record<string, unknown>;
    expect(body.call_id).toBe(id);
    expect(body.agent).toBe("42");
    expect(body.main_agent_channel_index).toBe("1");
    expect(body.transcript_type).toBe("pipecat");
    expect(Array.isArray(body.transcript_json)).toBe(true);
    expect(observeSchema.safeParse(body).success).toBe(true);
  });
});
