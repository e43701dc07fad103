import type { Transport } from "../transport.ts";
import { SESSION_HEADER } from "./attributes.ts";

/** Where serialized OTLP JSON batches go. */
export type TraceSink = (body: Uint8Array) => Promise<void>;

/** Bodies above this are gzip-compressed (CompressionStream exists in all four runtimes). */
const GZIP_ABOVE_BYTES = 8 * 1024;

async function gzip(body: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([body as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** POSTs OTLP/HTTP JSON to the Worker's /v1/traces with the SDK's transport (auth, retries, Retry-After). */
export function createTraceSink(transport: Transport, sessionId: string): TraceSink {
  return async function sendTraces(body) {
    const headers: Record<string, string> = { "content-type": "application/json", [SESSION_HEADER]: sessionId };
    let wire = body;
    if (body.byteLength > GZIP_ABOVE_BYTES) {
      wire = await gzip(body);
      headers["content-encoding"] = "gzip";
    }
    await transport.send({ method: "POST", path: "/v1/traces", body: wire, headers });
  };
}
