/**
 * Issue 29 item 8: object bombs are refused before JSON.parse or the protobuf decoder builds them.
 * ~20 KB of gzip inflating to 16 MiB of `[{},{},...]` (5.6 million objects), 6 MiB of empty repeated
 * protobuf messages, a fragment of 4 MiB of empty objects, and nesting past the depth cap: each answer is
 * a clear 413/400 `{error, detail}`. Peak memory of the worst body under each cap: test/limits/.
 */
import { afterEach, describe, expect, it } from "vitest";
import { reset } from "cloudflare:test";
import { gzip } from "../support/gzip.ts";
import { call, fragment, say, sendFragment, uniqueId } from "../support/workerd/api.ts";

afterEach(() => reset());

/** POSTs `gzipped` to `path` as `contentType`: refused 413 payload_too_large, the detail naming `cap`. */
async function expectRefusedBeforeParsing(path: string, gzipped: Uint8Array, contentType: string, cap: string) {
  const res = await call("POST", path, gzipped, undefined, {
    "content-type": contentType,
    "content-encoding": "gzip",
  });
  expect(res.status).toBe(413);
  expect(await res.json()).toMatchObject({ error: "payload_too_large", detail: expect.stringContaining(cap) });
}

const text = (s: string) => new TextEncoder().encode(s);
/** `[{},{},...]` of exactly `bytes` bytes (or one less). */
const emptyObjects = (bytes: number) => text(`[${"{},".repeat(Math.floor((bytes - 3) / 3))}{}]`);

describe("object bombs", () => {
  it("16 MiB of [{},{},...] in ~20 KB of gzip to /v1/traces: 413 before parsing", async () => {
    const bomb = await gzip(emptyObjects(16 * 1024 * 1024 - 16));
    expect(bomb.byteLength).toBeLessThan(64 * 1024);
    await expectRefusedBeforeParsing("/v1/traces", bomb, "application/json", "JSON values");
  });

  it("6 MiB of empty repeated protobuf messages to /v1/traces: 413 before decoding", async () => {
    const body = new Uint8Array(6 * 1024 * 1024 - 16);
    for (let i = 0; i < body.length; i += 2) body[i] = 0x0a; // field 1 (resourceSpans), length 0
    await expectRefusedBeforeParsing("/v1/traces", await gzip(body), "application/x-protobuf", "OTLP messages");
  });

  it("a 4 MiB fragment of empty objects in its events: 413 inside the session, before JSON.parse", async () => {
    const id = uniqueId("bomb");
    const objects = "{},".repeat(Math.floor((4 * 1024 * 1024 - 200) / 3));
    const body = text(
      `{"agentId":42,"mode":"observe","seq":0,"sentAt":"2026-11-25T12:00:00.000Z","events":[${objects}{}]}`,
    );
    await expectRefusedBeforeParsing(
      `/v1/sessions/${id}/fragments`,
      await gzip(body),
      "application/json",
      "JSON values",
    );
    // Nothing was created; a normal fragment still goes through.
    expect((await call("GET", `/v1/sessions/${id}`)).status).toBe(404);
    expect((await sendFragment(id, fragment(0, [say("user", "hi", 0)]))).status).toBe(200);
  });

  it("nesting past the depth cap: 400 naming the depth, for fragments and OTLP JSON", async () => {
    const deep = `${"[".repeat(100_000)}${"]".repeat(100_000)}`;
    const f = await call("POST", `/v1/sessions/${uniqueId("deep")}/fragments`, deep, undefined, {
      "content-type": "application/json",
    });
    expect(f.status).toBe(400);
    expect(await f.json()).toMatchObject({ error: "invalid_json", detail: expect.stringContaining("deeper than 64") });
    const t = await call("POST", "/v1/traces", `{"resourceSpans":${deep}}`, undefined, {
      "content-type": "application/json",
    });
    expect(t.status).toBe(400);
    expect(await t.json()).toMatchObject({ error: "invalid_json", detail: expect.stringContaining("deeper than 64") });
  });

  it("braces and commas inside strings are not counted", async () => {
    const id = uniqueId("strings");
    const noisy = "{[,".repeat(20_000);
    const res = await sendFragment(id, fragment(0, [say("user", noisy, 0)]));
    expect(res.status).toBe(200);
  });
});
