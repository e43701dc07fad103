import { describe, expect, it } from "vitest";
import { observeSchema } from "../../worker/local/cekura-standin.ts";
import { KEY, sampleFragment, sessionId, useForwardHarness } from "../support/forward-harness.ts";
import { readStoredObject } from "../support/r2-read.ts";
import { expectedWav, putAudio, sha256, stereoPcm } from "../support/wav-fixture.ts";

const h = useForwardHarness();

const SAMPLE_RATE = 16000;

describe("the recording reaches Cekura as a multipart voice_recording part", () => {
  it("sends the stored WAV byte for byte, streamed beside the observe fields", async () => {
    const id = sessionId("audio");
    const client = h.api();
    expect((await client.fragment(id, sampleFragment("observe"))).status).toBe(200);
    const chunks = [stereoPcm(8000), stereoPcm(4000, 8000)];
    await putAudio(h.worker.url, KEY, id, SAMPLE_RATE, chunks);
    const closed = await client.close(id, { lastSeq: 0, lastAudioSeq: 1, reason: "customer-ended-call" });
    expect(closed.json.state).toBe("finalized");
    const record = (await client.record(id)).json as {
      audio: { key: string; bytes: number; sampleRate: number; channels: number } | null;
    };
    expect(record.audio).toMatchObject({ sampleRate: SAMPLE_RATE, channels: 2 });

    expect((await client.settled(id)).status).toBe("delivered");
    const [request] = h.requests(id);
    expect(request?.contentType).toMatch(/^multipart\/form-data; boundary=/);
    expect(request?.headers["content-length"]).toBe(String(request?.rawBytes)); // streamed with a known length

    expect(request?.files).toHaveLength(1);
    const file = request!.files[0]!;
    expect(file.field).toBe("voice_recording");
    expect(file.filename).toBe(`${id}.wav`);
    expect(file.contentType).toBe("audio/wav");
    // Byte-identical to the WAV in storage, and that WAV is the PCM that was sent under a 44-byte header.
    const stored = await readStoredObject(h.worker.persistTo, record.audio!.key);
    expect(stored).not.toBeNull();
    expect(file.sha256).toBe(sha256(stored!));
    expect(file.bytes.byteLength).toBe(record.audio!.bytes);
    expect(file.sha256).toBe(sha256(expectedWav(SAMPLE_RATE, chunks)));

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
