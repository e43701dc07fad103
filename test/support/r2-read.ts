import { join } from "node:path";
import { Miniflare } from "miniflare";

/** Reads one object of the local Worker's RECORDINGS bucket straight from its persisted state. */
export async function readStoredObject(persistTo: string, key: string): Promise<Uint8Array | null> {
  const mf = new Miniflare({
    modules: true,
    script: "export default { fetch() { return new Response(null, { status: 404 }); } }",
    r2Buckets: { RECORDINGS: "cekura-recordings" },
    r2Persist: join(persistTo, "v3/r2"),
  });
  try {
    const object = await (await mf.getR2Bucket("RECORDINGS")).get(key);
    return object ? new Uint8Array(await object.arrayBuffer()) : null;
  } finally {
    await mf.dispose();
  }
}
