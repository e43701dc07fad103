import { join } from "node:path";
import { Miniflare } from "miniflare";

/** Opens the local Worker's RECORDINGS bucket straight from its persisted state (the Worker may be stopped). */
async function withStoredBucket<T>(
  persistTo: string,
  use: (bucket: Awaited<ReturnType<Miniflare["getR2Bucket"]>>) => Promise<T>,
): Promise<T> {
  const mf = new Miniflare({
    modules: true,
    script: "export default { fetch() { return new Response(null, { status: 404 }); } }",
    r2Buckets: { RECORDINGS: "cekura-recordings" },
    r2Persist: join(persistTo, "v3/r2"),
  });
  try {
    return await use(await mf.getR2Bucket("RECORDINGS"));
  } finally {
    await mf.dispose();
  }
}

/** One object's bytes, or null. */
export function readStoredObject(persistTo: string, key: string): Promise<Uint8Array | null> {
  return withStoredBucket(persistTo, async (bucket) => {
    const object = await bucket.get(key);
    return object ? new Uint8Array(await object.arrayBuffer()) : null;
  });
}

/** Keys under a prefix. */
export function listStoredKeys(persistTo: string, prefix: string): Promise<string[]> {
  return withStoredBucket(persistTo, async (bucket) => (await bucket.list({ prefix })).objects.map((o) => o.key));
}
