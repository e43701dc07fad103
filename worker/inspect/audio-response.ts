/** The call's WAV as an HTTP response with Range support (R2: ranged reads; S3: read, then sliced). */
import type { Env } from "../env.ts";
import { audioObjectStore, readS3Settings } from "../storage/object-store.ts";

interface ByteRange {
  start: number;
  end: number;
}

/** One `bytes=a-b` / `bytes=a-` / `bytes=-n` range; null when absent, "invalid" when unsatisfiable. */
export function parseRange(header: string | undefined, size: number): ByteRange | null | "invalid" {
  if (!header) return null;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === "" && match[2] === "")) return "invalid";
  let start: number;
  let end: number;
  if (match[1] === "") {
    const suffix = Number(match[2]);
    if (suffix === 0) return "invalid";
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(match[1]);
    end = match[2] === "" ? size - 1 : Math.min(Number(match[2]), size - 1);
  }
  if (start >= size || end < start) return "invalid";
  return { start, end };
}

const BASE_HEADERS = { "content-type": "audio/wav", "accept-ranges": "bytes", "cache-control": "private, max-age=3600", "x-content-type-options": "nosniff" };

export async function audioResponse(env: Env, key: string, rangeHeader: string | undefined): Promise<Response> {
  if (!readS3Settings(env)) {
    const head = await env.RECORDINGS.head(key);
    if (!head) return new Response("recording not found", { status: 404 });
    const range = parseRange(rangeHeader, head.size);
    if (range === "invalid") return new Response(null, { status: 416, headers: { ...BASE_HEADERS, "content-range": `bytes */${head.size}` } });
    const object = await env.RECORDINGS.get(key, range ? { range: { offset: range.start, length: range.end - range.start + 1 } } : {});
    if (!object) return new Response("recording not found", { status: 404 });
    if (!range) return new Response(object.body, { headers: { ...BASE_HEADERS, "content-length": String(head.size), etag: head.httpEtag } });
    return new Response(object.body, {
      status: 206,
      headers: { ...BASE_HEADERS, "content-length": String(range.end - range.start + 1), "content-range": `bytes ${range.start}-${range.end}/${head.size}`, etag: head.httpEtag },
    });
  }
  const bytes = await audioObjectStore(env).get(key);
  if (!bytes) return new Response("recording not found", { status: 404 });
  const range = parseRange(rangeHeader, bytes.byteLength);
  if (range === "invalid") return new Response(null, { status: 416, headers: { ...BASE_HEADERS, "content-range": `bytes */${bytes.byteLength}` } });
  if (!range) return new Response(bytes as Uint8Array<ArrayBuffer>, { headers: { ...BASE_HEADERS, "content-length": String(bytes.byteLength) } });
  return new Response(bytes.slice(range.start, range.end + 1), {
    status: 206,
    headers: { ...BASE_HEADERS, "content-length": String(range.end - range.start + 1), "content-range": `bytes ${range.start}-${range.end}/${bytes.byteLength}` },
  });
}

/** The whole WAV (for the waveform). */
export async function audioBytes(env: Env, key: string): Promise<Uint8Array | null> {
  return audioObjectStore(env).get(key);
}
