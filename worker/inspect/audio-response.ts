/** The call's WAV as an HTTP response with Range support; never read whole (see audio-object.ts). */
import type { Env } from "../env.ts";
import { audioObject, type ByteRange } from "./audio-object.ts";

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

const BASE_HEADERS = {
  "content-type": "audio/wav",
  "accept-ranges": "bytes",
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
};

/** The WAV, or the asked-for range of it, streamed from storage (R2 ranged get, S3 ranged GetObject). */
export async function audioResponse(env: Env, key: string, rangeHeader: string | undefined): Promise<Response> {
  const object = await audioObject(env, key);
  if (!object) return new Response("recording not found", { status: 404 });
  const size = object.size;
  const etag: Record<string, string> = object.etag ? { etag: object.etag } : {};
  const range = parseRange(rangeHeader, size);
  if (range === "invalid")
    return new Response(null, { status: 416, headers: { ...BASE_HEADERS, "content-range": `bytes */${size}` } });
  if (!range)
    return new Response(await object.open(), { headers: { ...BASE_HEADERS, "content-length": String(size), ...etag } });
  return new Response(await object.open(range), {
    status: 206,
    headers: {
      ...BASE_HEADERS,
      "content-length": String(range.end - range.start + 1),
      "content-range": `bytes ${range.start}-${range.end}/${size}`,
      ...etag,
    },
  });
}
