import { AwsClient } from "aws4fetch";
import type { Env } from "../env.ts";
import { readS3Settings } from "../storage/object-store.ts";
import { storageFailure } from "../storage/storage-error.ts";

/** A stored recording, opened as a stream with a known size (so it is never buffered whole). */
export interface OpenedAudio {
  size: number;
  body: ReadableStream<Uint8Array>;
}

/** Where the outbox reads a record's WAV: the S3 bucket when S3_* is configured, the RECORDINGS R2 binding otherwise. */
export interface AudioSource {
  readonly kind: "r2" | "s3";
  open(key: string): Promise<OpenedAudio | null>;
  /** A time-limited GET URL for Cekura to fetch the WAV itself; only S3 can sign one. */
  signedUrl?(key: string, expiresSeconds: number): Promise<string>;
}

export function audioSource(env: Env): AudioSource {
  const s3 = readS3Settings(env);
  if (!s3) {
    return {
      kind: "r2",
      async open(key) {
        const object = await env.RECORDINGS.get(key);
        return object ? { size: object.size, body: object.body } : null;
      },
    };
  }
  const client = new AwsClient({
    accessKeyId: s3.accessKeyId,
    secretAccessKey: s3.secretAccessKey,
    region: s3.region,
    service: "s3",
  });
  const url = (key: string) =>
    `${s3.endpoint.replace(/\/+$/, "")}/${encodeURIComponent(s3.bucket)}/${key.split("/").map(encodeURIComponent).join("/")}`;
  return {
    kind: "s3",
    async open(key) {
      const response = await client.fetch(url(key), { method: "GET" });
      if (response.status === 404) {
        await response.body?.cancel();
        return null;
      }
      const length = Number(response.headers.get("content-length"));
      if (!response.ok || !response.body || !Number.isSafeInteger(length)) {
        const text = response.ok ? "" : await response.text().catch(() => "");
        throw storageFailure("GetObject", response.status, text);
      }
      return { size: length, body: response.body };
    },
    async signedUrl(key, expiresSeconds) {
      const target = new URL(url(key));
      target.searchParams.set("X-Amz-Expires", String(expiresSeconds));
      const signed = await client.sign(target.toString(), { method: "GET", aws: { signQuery: true } });
      return signed.url;
    },
  };
}
