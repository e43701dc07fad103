/**
 * The call's WAV read from storage as a stream, whole or one byte range, never buffered: R2 through the
 * binding's ranged get, S3 through a ranged GetObject (a `Range` header), so a call of any length costs
 * the inspector only the bytes it asked for.
 */
import { AwsClient } from "aws4fetch";
import type { Env } from "../env.ts";
import { readS3Settings } from "../storage/object-store.ts";
import type { S3Settings } from "../storage/s3-store.ts";

export interface ByteRange {
  start: number;
  /** Inclusive. */
  end: number;
}

export interface AudioObject {
  /** Size of the whole object in bytes. */
  size: number;
  etag?: string;
  /** Opens the whole object, or `range` of it, as a stream. */
  open(range?: ByteRange): Promise<ReadableStream<Uint8Array>>;
}

/** The stored recording at `key`, or null when there is none. */
export async function audioObject(env: Env, key: string): Promise<AudioObject | null> {
  const s3 = readS3Settings(env);
  return s3 ? s3Object(s3, key) : r2Object(env.RECORDINGS, key);
}

async function r2Object(bucket: R2Bucket, key: string): Promise<AudioObject | null> {
  const head = await bucket.head(key);
  if (!head) return null;
  return {
    size: head.size,
    etag: head.httpEtag,
    async open(range) {
      const object = await bucket.get(
        key,
        range ? { range: { offset: range.start, length: range.end - range.start + 1 } } : {},
      );
      if (!object) throw new Error(`recording ${key} disappeared while it was read`);
      return object.body;
    },
  };
}

async function s3Object(settings: S3Settings, key: string): Promise<AudioObject | null> {
  const client = new AwsClient({
    accessKeyId: settings.accessKeyId,
    secretAccessKey: settings.secretAccessKey,
    region: settings.region,
    service: "s3",
  });
  const url = `${settings.endpoint.replace(/\/+$/, "")}/${encodeURIComponent(settings.bucket)}/${key.split("/").map(encodeURIComponent).join("/")}`;
  const head = await client.fetch(url, { method: "HEAD" });
  await head.body?.cancel();
  if (head.status === 404) return null;
  const size = Number(head.headers.get("content-length"));
  if (!head.ok || !Number.isSafeInteger(size)) throw new Error(`S3 HeadObject of ${key} failed with ${head.status}`);
  const etag = head.headers.get("etag") ?? undefined;
  return {
    size,
    ...(etag ? { etag } : {}),
    async open(range) {
      const response = await client.fetch(url, {
        method: "GET",
        headers: range ? { range: `bytes=${range.start}-${range.end}` } : {},
      });
      const expected = range ? 206 : 200;
      if (response.status !== expected || !response.body) {
        const text = await response.text().catch(() => "");
        throw new Error(
          `S3 GetObject of ${key}${range ? ` (bytes ${range.start}-${range.end})` : ""} answered ${response.status}${text ? `: ${text.slice(0, 300)}` : ""}`,
        );
      }
      return response.body;
    },
  };
}
