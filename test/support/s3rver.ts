import { mkdtempSync } from "node:fs";
import { readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import S3rver from "s3rver";
import { freePort } from "../../worker/local/ports.ts";

export interface LocalS3 {
  vars: Record<string, string>;
  bucket: string;
  /** Multipart uploads s3rver still holds (started, neither completed nor aborted). */
  openUploads(): Promise<string[]>;
  stop(): Promise<void>;
}

/** A Koa middleware of s3rver's, e.g. one that injects faults. */
export type S3Middleware = (ctx: any, next: () => Promise<void>) => Promise<void>;

/**
 * s3rver on 127.0.0.1, plus the one call it lacks: AbortMultipartUpload (`DELETE ?uploadId=`) answers
 * 405 there, so this middleware deletes the upload's stored parts itself, as S3 does. `before` runs
 * ahead of everything else (fault injection sees every request).
 */
export async function startLocalS3(bucket = "recordings", before?: S3Middleware): Promise<LocalS3> {
  const port = await freePort();
  const directory = mkdtempSync(join(tmpdir(), "s3rver-"));
  const server = new S3rver({
    port,
    address: "127.0.0.1",
    silent: true,
    directory,
    configureBuckets: [{ name: bucket, configs: [] }],
  });
  const store = (server as unknown as { store: { getResourcePath(b: string, k: undefined, r: string): string } }).store;
  const uploadsDir = () => store.getResourcePath(bucket, undefined, "uploads");
  (server as unknown as { middleware: unknown[] }).middleware.unshift(async (ctx: any, next: () => Promise<void>) => {
    const uploadId = ctx.query?.uploadId;
    if (ctx.method !== "DELETE" || typeof uploadId !== "string" || !/^[\w-]+$/.test(uploadId)) return next();
    const dir = join(uploadsDir(), uploadId);
    const exists = await readdir(dir).then(
      () => true,
      () => false,
    );
    if (!exists) {
      ctx.status = 404;
      ctx.type = "application/xml";
      ctx.body = "<Error><Code>NoSuchUpload</Code></Error>";
      return;
    }
    await rm(dir, { recursive: true, force: true });
    ctx.status = 204;
  });
  if (before) (server as unknown as { middleware: unknown[] }).middleware.unshift(before);
  await server.run();
  return {
    bucket,
    vars: {
      S3_ENDPOINT: `http://127.0.0.1:${port}`,
      S3_REGION: "us-east-1",
      S3_BUCKET: bucket,
      S3_ACCESS_KEY_ID: "S3RVER",
      S3_SECRET_ACCESS_KEY: "S3RVER",
    },
    openUploads: () => readdir(uploadsDir()).catch(() => []),
    stop: () => server.close(),
  };
}
