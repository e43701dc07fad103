/** gzip with the web-standard CompressionStream; undefined where the runtime lacks it. */
export async function gzip(bytes: Uint8Array): Promise<Uint8Array | undefined> {
  const CS = (globalThis as { CompressionStream?: typeof CompressionStream }).CompressionStream;
  if (typeof CS !== "function") return undefined;
  const source = new Response(bytes as BodyInit).body;
  if (!source) return undefined;
  const compressed = source.pipeThrough(new CS("gzip"));
  return new Uint8Array(await new Response(compressed).arrayBuffer());
}
