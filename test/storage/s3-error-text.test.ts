/**
 * Issue 29 item 10: an S3 error body never reaches a tenant. A bucket answering 403 SignatureDoesNotMatch
 * (whose XML names the access key id and the string to sign) makes the store and the forwarder's audio source
 * throw an error whose text - what a session's status and the inspector show as lastError - holds only the
 * operation, the HTTP status and S3's error code; the body goes to the log alone.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, expect, it, vi } from "vitest";
import type { Env } from "../../worker/env.ts";
import { audioSource } from "../../worker/forward/audio-source.ts";
import { createS3Store } from "../../worker/storage/s3-store.ts";

const ACCESS_KEY_ID = "AKIAEXAMPLESECRETID42";
const SIGNATURE_ERROR =
  '<?xml version="1.0" encoding="UTF-8"?><Error><Code>SignatureDoesNotMatch</Code>' +
  "<Message>The request signature we calculated does not match the signature you provided.</Message>" +
  `<AWSAccessKeyId>${ACCESS_KEY_ID}</AWSAccessKeyId><StringToSign>AWS4-HMAC-SHA256 ...</StringToSign></Error>`;

let server: Server;
let endpoint: string;
/** Every request is refused; "complete" answers 200 with an <Error> body, as S3 can. */
beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    const completing = req.method === "POST" && req.url?.includes("uploadId=");
    res.writeHead(completing ? 200 : 403, { "content-type": "application/xml" });
    res.end(SIGNATURE_ERROR);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
afterEach(() => vi.restoreAllMocks());

const settings = () => ({
  endpoint,
  region: "us-east-1",
  bucket: "recordings",
  accessKeyId: ACCESS_KEY_ID,
  secretAccessKey: "not-the-real-secret",
});

async function messageOf(run: () => Promise<unknown>): Promise<string> {
  try {
    await run();
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  throw new Error("expected the call to fail");
}

function expectCodeOnly(message: string, operation: string): void {
  expect(message).toContain(operation);
  expect(message).toContain("SignatureDoesNotMatch");
  expect(message).not.toContain(ACCESS_KEY_ID);
  expect(message).not.toContain("StringToSign");
  expect(message).not.toContain("<");
}

it("the S3 store's errors carry the operation, status and S3 code only; the XML is logged", async () => {
  const logged = vi.spyOn(console, "error").mockImplementation(() => {});
  const store = createS3Store(settings());
  const put = await messageOf(() => store.put("t/a.wav", new Uint8Array(8)));
  expectCodeOnly(put, "PutObject");
  expect(put).toContain("403");
  expectCodeOnly(await messageOf(() => store.uploadPart("t/a.wav", "u1", 2, new Uint8Array(8))), "UploadPart");
  expectCodeOnly(
    await messageOf(() => store.completeMultipart("t/a.wav", "u1", [{ partNumber: 1, etag: '"e"' }])),
    "CompleteMultipartUpload",
  );
  // The operator still sees the whole answer in the log.
  expect(logged.mock.calls.some((args) => args.join(" ").includes(ACCESS_KEY_ID))).toBe(true);
});

it("the forwarder's S3 audio source fails with the code only", async () => {
  vi.spyOn(console, "error").mockImplementation(() => {});
  const s = settings();
  const source = audioSource({
    S3_ENDPOINT: s.endpoint,
    S3_REGION: s.region,
    S3_BUCKET: s.bucket,
    S3_ACCESS_KEY_ID: s.accessKeyId,
    S3_SECRET_ACCESS_KEY: s.secretAccessKey,
  } as unknown as Env);
  expectCodeOnly(await messageOf(() => source.open("t/a.wav")), "GetObject");
});
