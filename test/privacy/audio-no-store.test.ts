/** Issue 29 item 12: a recording is never kept in the browser's cache (erased audio must not stay readable there). */
import { env } from "cloudflare:test";
import { expect, it } from "vitest";
import type { Env } from "../../worker/env.ts";
import { audioResponse } from "../../worker/inspect/audio-response.ts";

it("serves the WAV, whole, ranged and unsatisfiable, with Cache-Control: no-store", async () => {
  const e = env as unknown as Env;
  const key = `test/no-store-${crypto.randomUUID()}.wav`;
  await e.RECORDINGS.put(key, new Uint8Array(100));
  for (const range of [undefined, "bytes=0-9", "bytes=500-"]) {
    const res = await audioResponse(e, key, range);
    await res.body?.cancel();
    expect({ range, cache: res.headers.get("cache-control") }).toEqual({ range, cache: "no-store" });
  }
});
