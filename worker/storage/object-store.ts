import type { Env } from "../env.ts";
import { createR2Store } from "./r2-store.ts";
import { createS3Store, type S3Settings } from "./s3-store.ts";

export interface UploadedPart {
  partNumber: number;
  etag: string;
}

/**
 * The few object-storage operations audio needs, over an R2 binding or an S3 bucket.
 * Multipart uploads are addressed by (key, uploadId) only, so they survive an eviction.
 */
export interface ObjectStore {
  readonly kind: "r2" | "s3";
  put(key: string, body: Uint8Array): Promise<void>;
  /** The object's bytes, or null when it does not exist. */
  get(key: string): Promise<Uint8Array | null>;
  delete(key: string): Promise<void>;
  /** Size of the object in bytes, or null when it does not exist. */
  size(key: string): Promise<number | null>;
  createMultipart(key: string): Promise<string>;
  uploadPart(key: string, uploadId: string, partNumber: number, body: Uint8Array): Promise<string>;
  completeMultipart(key: string, uploadId: string, parts: UploadedPart[]): Promise<void>;
  abortMultipart(key: string, uploadId: string): Promise<void>;
}

const blank = (v: string | undefined) => (v && v.trim() !== "" ? v.trim() : undefined);

/** S3 settings when every S3_* variable is set; undefined when none is; an error when only some are. */
export function readS3Settings(env: Env): S3Settings | undefined {
  const values = {
    endpoint: blank(env.S3_ENDPOINT),
    region: blank(env.S3_REGION),
    bucket: blank(env.S3_BUCKET),
    accessKeyId: blank(env.S3_ACCESS_KEY_ID),
    secretAccessKey: blank(env.S3_SECRET_ACCESS_KEY),
  };
  const set = Object.values(values).filter(Boolean).length;
  if (set === 0) return undefined;
  if (set < 5) {
    throw new Error(
      "S3 storage needs all of S3_ENDPOINT, S3_REGION, S3_BUCKET, S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY",
    );
  }
  return values as S3Settings;
}

/** Audio storage: the S3 bucket when configured, the RECORDINGS R2 binding otherwise. */
export function audioObjectStore(env: Env): ObjectStore {
  const s3 = readS3Settings(env);
  return s3 ? createS3Store(s3) : createR2Store(env.RECORDINGS);
}
