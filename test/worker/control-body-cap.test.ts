import { reset } from "cloudflare:test";
import { afterEach, expect, it } from "vitest";
import { BASE, KEY, fragment, sendFragment, uniqueId } from "../support/workerd/api.ts";
import { SELF } from "cloudflare:test";

afterEach(() => reset());

/** A body of `total` bytes produced on demand; `pulled()` says how much the Worker asked for. */
function countingBody(total: number) {
  let sent = 0;
  const chunk = new Uint8Array(64 * 1024).fill(0x20);
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= total) return controller.close();
      sent += chunk.byteLength;
      controller.enqueue(chunk);
    },
  });
  return { stream, pulled: () => sent };
}

for (const route of ["consent", "abort", "abort-recording"]) {
  it(`stops reading a ${route} body without Content-Type at the 8 KiB control cap (413), not at its end`, async () => {
    const id = uniqueId();
    expect((await sendFragment(id, fragment(0))).status).toBe(200);
    const body = countingBody(64 * 1024 * 1024);
    const res = await SELF.fetch(`${BASE}/v1/sessions/${id}/${route}`, {
      method: "POST",
      headers: { authorization: `Bearer ${KEY}` },
      body: body.stream,
      duplex: "half",
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: "payload_too_large" });
    expect(body.pulled()).toBeLessThan(4 * 1024 * 1024);
  });
}
