import type { ObjectStore, UploadedPart } from "./object-store.ts";

/** ObjectStore over an R2 binding; a multipart upload is resumed by id, so it works after an eviction. */
export function createR2Store(bucket: R2Bucket): ObjectStore {
  return {
    kind: "r2",
    async put(key, body) {
      await bucket.put(key, body);
    },
    async get(key) {
      const object = await bucket.get(key);
      return object ? new Uint8Array(await object.arrayBuffer()) : null;
    },
    async size(key) {
      return (await bucket.head(key))?.size ?? null;
    },
    async delete(key) {
      await bucket.delete(key);
    },
    async createMultipart(key) {
      const upload = await bucket.createMultipartUpload(key, { httpMetadata: { contentType: "audio/wav" } });
      return upload.uploadId;
    },
    async uploadPart(key, uploadId, partNumber, body) {
      const part = await bucket.resumeMultipartUpload(key, uploadId).uploadPart(partNumber, body);
      return part.etag;
    },
    async completeMultipart(key, uploadId, parts: UploadedPart[]) {
      await bucket.resumeMultipartUpload(key, uploadId).complete(parts);
    },
    async abortMultipart(key, uploadId) {
      try {
        await bucket.resumeMultipartUpload(key, uploadId).abort();
      } catch (error) {
        // Aborting an upload that is already gone (completed or aborted) is not an error here.
        if (!/not ?found|does not exist|NoSuchUpload/i.test(String(error))) throw error;
      }
    },
  };
}
