/**
 * Storage faults end to end: the real local Worker keeps call audio in an S3-compatible bucket (s3rver on
 * 127.0.0.1) that fails UploadPart and CompleteMultipartUpload four times each. The session still finalizes,
 * shows the errors in its status while it retries, and forwards the whole WAV to the Cekura stand-in.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { KEY, sampleFragment, useForwardHarness } from "../support/forward-harness.ts";
import { uniqueId } from "../support/ids.ts";
import { startLocalS3, type LocalS3 } from "../support/s3rver.ts";
import { expectedWav, putAudio, sha256, stereoPcm } from "../support/wav-fixture.ts";

const SAMPLE_RATE = 16_000;
/** S3 calls seen: method, part number (UploadPart) or "complete", and the status answered. */
const seen: { op: string; status: number }[] = [];
/** More than the S3 client's own quick retries (2), so the session's retries have to take over. */
const failures: Record<string, number> = { uploadPart: 4, complete: 4 };

let s3: LocalS3;
beforeAll(async () => {
  s3 = await startLocalS3("recordings", async (ctx: any, next: () => Promise<void>) => {
    const part = ctx.query?.partNumber;
    const op =
      ctx.method === "PUT" && part
        ? `uploadPart:${part}`
        : ctx.method === "POST" && ctx.query?.uploadId
          ? "complete"
          : `${ctx.method}`;
    const kind = op.split(":")[0]!;
    if ((failures[kind] ?? 0) > 0) {
      failures[kind]!--;
      seen.push({ op, status: 500 });
      ctx.status = 500;
      ctx.type = "application/xml";
      ctx.body = "<Error><Code>InternalError</Code><Message>injected fault</Message></Error>";
      return;
    }
    await next();
    seen.push({ op, status: ctx.status });
  });
});
afterAll(() => s3?.stop());
const h = useForwardHarness(() => s3.vars);

it("finalizes and forwards a call whose part uploads and CompleteMultipartUpload fail four times each, showing the errors while it retries", {
  timeout: 120_000,
}, async () => {
  const id = uniqueId("s3-faults");
  const client = h.api();
  expect((await client.fragment(id, sampleFragment("observe"))).status).toBe(200);
  // 3 x 4 MiB (about 196 s at 16 kHz): part 2 fills during the call; its first upload fails, the chunk is still acknowledged.
  const chunks = [0, 1, 2].map((i) => stereoPcm(1024 * 1024, i * 1024 * 1024));
  await putAudio(h.worker.url, KEY, id, SAMPLE_RATE, chunks);

  const closed = await client.close(id, { lastSeq: 0, lastAudioSeq: 2, reason: "customer-ended-call" });
  expect(closed.status).toBe(200);
  const errorsSeen = new Set<string>();
  for (const deadline = Date.now() + 60_000; ; ) {
    const { json } = await client.status(id);
    const finalization = json.finalization as { lastError: string; nextAttemptAt: string } | null;
    if (json.state === "closing") {
      expect(finalization?.nextAttemptAt).toBeTruthy();
      errorsSeen.add(finalization!.lastError.replace(/ failed with.*/s, "").replace(/:.*/s, ""));
    }
    if (json.state === "finalized") break;
    expect(Date.now()).toBeLessThan(deadline);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  expect([...errorsSeen].join(" | ")).toMatch(/CompleteMultipartUpload/);

  expect((await client.waitForward(id, ["delivered", "dead_letter"])).status).toBe("delivered");
  const [request] = h.requests(id);
  expect(request!.files.map((f) => f.field)).toEqual(["voice_recording"]);
  expect(request!.files[0]!.sha256).toBe(sha256(expectedWav(SAMPLE_RATE, chunks)));
  const partNumbers = new Set(
    seen.filter((s) => s.op.startsWith("uploadPart:")).map((s) => Number(s.op.split(":")[1])),
  );
  expect(partNumbers).toEqual(new Set([1, 2, 3]));
  expect(seen.filter((s) => s.status === 500).map((s) => s.op.split(":")[0])).toEqual([
    ...Array(4).fill("uploadPart"),
    ...Array(4).fill("complete"),
  ]);
});
