import type { z } from "zod";
import { describeZodError } from "../../sdk/protocol.ts";
import { HttpError } from "../errors.ts";
import { checkJsonShape, FRAGMENT_JSON_SHAPE, type JsonShapeLimits } from "./json-shape.ts";

export interface BodyLimits {
  /** Bytes as sent on the wire. */
  maxBytes: number;
  /** Bytes after gzip decompression (defaults to maxBytes). */
  maxDecompressedBytes?: number;
}

/** Reads a stream into one Uint8Array, failing with 413 past `max` bytes without buffering more. */
export async function readCapped(
  stream: ReadableStream<Uint8Array>,
  max: number,
  what: string,
): Promise<Uint8Array<ArrayBuffer>> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel().catch(() => {});
      throw new HttpError(413, "payload_too_large", `${what} exceeds ${max} bytes`);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

/**
 * The body as sent, at most `max` bytes. With a Content-Length (already checked against `max`) and no
 * Transfer-Encoding the body is exactly that long, so it is read in one native call: measured, reading it
 * piece by piece in JavaScript cost more CPU than anything else the Worker does with a 5 s audio chunk.
 */
async function readWire(request: Request, max: number, what: string): Promise<Uint8Array<ArrayBuffer>> {
  const length = request.headers.get("content-length")?.trim();
  if (length === undefined || !/^\d+$/.test(length) || request.headers.has("transfer-encoding"))
    return readCapped(request.body!, max, what);
  const bytes = new Uint8Array(await request.arrayBuffer());
  if (bytes.byteLength > max) throw new HttpError(413, "payload_too_large", `${what} exceeds ${max} bytes`);
  return bytes;
}

/** The request body's bytes: size-capped, gzip-decoded with its own cap. */
export async function readBodyBytes(request: Request, limits: BodyLimits): Promise<Uint8Array> {
  const declared = Number(request.headers.get("content-length") ?? "NaN");
  if (Number.isFinite(declared) && declared > limits.maxBytes) {
    throw new HttpError(
      413,
      "payload_too_large",
      `body of ${declared} bytes exceeds the limit of ${limits.maxBytes} bytes`,
    );
  }
  if (!request.body) return new Uint8Array(0);
  const encoding = (request.headers.get("content-encoding") ?? "identity").trim().toLowerCase();
  if (encoding === "identity" || encoding === "") return readWire(request, limits.maxBytes, "body");
  if (encoding !== "gzip") {
    throw new HttpError(
      415,
      "unsupported_encoding",
      `Content-Encoding "${encoding}" is not supported; use gzip or none`,
    );
  }
  const wire = await readWire(request, limits.maxBytes, "compressed body");
  const inflated = new Blob([wire]).stream().pipeThrough(new DecompressionStream("gzip"));
  try {
    return await readCapped(inflated, limits.maxDecompressedBytes ?? limits.maxBytes, "decompressed body");
  } catch (error) {
    if (error instanceof HttpError) throw error;
    throw new HttpError(400, "invalid_gzip", "the body is not valid gzip data");
  }
}

export function requireJsonContentType(request: Request): void {
  const type = request.headers.get("content-type") ?? "";
  if (!/^application\/json\b/i.test(type.trim())) {
    throw new HttpError(
      415,
      "unsupported_media_type",
      `Content-Type must be application/json, got "${type || "(none)"}"`,
    );
  }
}

/**
 * Reads, decodes, parses and validates a JSON body. Every failure is a 4xx HttpError naming the problem.
 * `fast`, when given, returns what the schema would for a value it is sure of (undefined: zod decides).
 */
export async function readJson<S extends z.ZodType>(
  request: Request,
  schema: S,
  limits: BodyLimits,
  fast?: (value: unknown) => z.infer<S> | undefined,
): Promise<z.infer<S>> {
  requireJsonContentType(request);
  return parseJson(await readBodyBytes(request, limits), schema, fast);
}

/**
 * Decodes, parses and validates JSON bytes already read under a cap. Before JSON.parse, the bytes are
 * pre-scanned against `shape` (nesting depth and number of values; json-shape.ts): 413/400 past it.
 */
export function parseJson<S extends z.ZodType>(
  bytes: Uint8Array,
  schema: S,
  fast?: (value: unknown) => z.infer<S> | undefined,
  shape: JsonShapeLimits = FRAGMENT_JSON_SHAPE,
): z.infer<S> {
  checkJsonShape(bytes, shape);
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes));
  } catch (error) {
    throw new HttpError(400, "invalid_json", `the body is not valid UTF-8 JSON: ${(error as Error).message}`);
  }
  const checked = fast?.(parsed);
  if (checked !== undefined) return checked;
  const result = schema.safeParse(parsed);
  if (!result.success) throw new HttpError(400, "invalid_body", describeZodError(result.error));
  return result.data;
}
