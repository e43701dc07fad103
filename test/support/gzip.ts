/** Gzip with the web-standard CompressionStream, for request bodies sent with `content-encoding: gzip`. */
export async function gzip(data: Uint8Array | string): Promise<Uint8Array> {
  const blob = new Blob([typeof data === "string" ? data : (data as Uint8Array<ArrayBuffer>)]);
  return new Uint8Array(await new Response(blob.stream().pipeThrough(new CompressionStream("gzip"))).arrayBuffer());
}
