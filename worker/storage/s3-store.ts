import { AwsClient } from "aws4fetch";
import type { ObjectStore, UploadedPart } from "./object-store.ts";
import { storageFailure } from "./storage-error.ts";

export interface S3Settings {
  /** e.g. https://s3.eu-west-1.amazonaws.com or http://127.0.0.1:4568; path-style addressing is used. */
  endpoint: string;
  region: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
}

const xmlEscape = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/**
 * ObjectStore over any S3-compatible bucket with SigV4-signed fetch (aws4fetch): runs in workerd
 * without the @aws-sdk/xml-builder alias that @aws-sdk/client-s3 needs there.
 */
export function createS3Store(settings: S3Settings): ObjectStore {
  const client = new AwsClient({
    accessKeyId: settings.accessKeyId,
    secretAccessKey: settings.secretAccessKey,
    region: settings.region,
    service: "s3",
    // A couple of quick retries here; a longer outage fails the step, which the session retries from its
    // alarm with backoff and shows in its status (aws4fetch's default of 10 would block a request ~50 s).
    retries: 2,
  });
  const base = `${settings.endpoint.replace(/\/+$/, "")}/${encodeURIComponent(settings.bucket)}`;
  const url = (key: string, query = "") => `${base}/${key.split("/").map(encodeURIComponent).join("/")}${query}`;

  async function send(what: string, input: string, init: RequestInit, okStatuses: number[] = []): Promise<Response> {
    const response = await client.fetch(input, init);
    if (response.ok || okStatuses.includes(response.status)) return response;
    const text = await response.text().catch(() => "");
    throw storageFailure(what, response.status, text);
  }

  return {
    kind: "s3",
    async put(key, body) {
      (
        await send("PutObject", url(key), {
          method: "PUT",
          body: body as Uint8Array<ArrayBuffer>,
          headers: { "content-type": "audio/wav" },
        })
      ).body?.cancel();
    },
    async get(key) {
      const response = await send("GetObject", url(key), { method: "GET" }, [404]);
      if (response.status === 404) {
        await response.body?.cancel();
        return null;
      }
      return new Uint8Array(await response.arrayBuffer());
    },
    async size(key) {
      const response = await send("HeadObject", url(key), { method: "HEAD" }, [404]);
      await response.body?.cancel();
      return response.status === 404 ? null : Number(response.headers.get("content-length"));
    },
    async delete(key) {
      (await send("DeleteObject", url(key), { method: "DELETE" }, [404])).body?.cancel();
    },
    async createMultipart(key) {
      const response = await send("CreateMultipartUpload", url(key, "?uploads"), {
        method: "POST",
        headers: { "content-type": "audio/wav" },
      });
      const id = /<UploadId>([^<]+)<\/UploadId>/.exec(await response.text())?.[1];
      if (!id) throw new Error("S3 CreateMultipartUpload answered without an UploadId");
      return id;
    },
    async uploadPart(key, uploadId, partNumber, body) {
      const query = `?partNumber=${partNumber}&uploadId=${encodeURIComponent(uploadId)}`;
      const response = await send("UploadPart", url(key, query), {
        method: "PUT",
        body: body as Uint8Array<ArrayBuffer>,
      });
      await response.body?.cancel();
      const etag = response.headers.get("etag");
      if (!etag) throw new Error("S3 UploadPart answered without an ETag");
      return etag;
    },
    async completeMultipart(key, uploadId, parts: UploadedPart[]) {
      const xml =
        "<CompleteMultipartUpload>" +
        parts
          .map((p) => `<Part><PartNumber>${p.partNumber}</PartNumber><ETag>${xmlEscape(p.etag)}</ETag></Part>`)
          .join("") +
        "</CompleteMultipartUpload>";
      const response = await send("CompleteMultipartUpload", url(key, `?uploadId=${encodeURIComponent(uploadId)}`), {
        method: "POST",
        body: xml,
        headers: { "content-type": "application/xml" },
      });
      // S3 can answer 200 with an <Error> body.
      const text = await response.text();
      if (/<Error>/.test(text)) throw storageFailure("CompleteMultipartUpload", undefined, text);
    },
    async abortMultipart(key, uploadId) {
      (
        await send(
          "AbortMultipartUpload",
          url(key, `?uploadId=${encodeURIComponent(uploadId)}`),
          { method: "DELETE" },
          [404],
        )
      ).body?.cancel();
    },
  };
}
