import { Hono } from "hono";
import { closeRequestSchema, fragmentSchema, LIMITS } from "../../sdk/protocol.ts";
import type { AppEnv } from "../app-env.ts";
import { HttpError, unwrap } from "../errors.ts";
import { readJson } from "../middleware/body.ts";
import { checkedFragment } from "./fragment-check.ts";
import { sha256Hex } from "../util/sha256.ts";

/** Fragments, close, status and record of one session (`c.var.caller` / `c.var.session` from withSession). */
export const sessionRoutes = new Hono<AppEnv>()
  .post("/:id/fragments", async (c) => {
    const fragment = await readJson(
      c.req.raw,
      fragmentSchema,
      { maxBytes: LIMITS.fragmentBodyBytes, maxDecompressedBytes: LIMITS.fragmentDecompressedBytes },
      checkedFragment,
    );
    // sentAt may differ between retries of one fragment; identity is seq + content.
    const bodyHash = await sha256Hex(JSON.stringify([fragment.agentId, fragment.mode, fragment.seq, fragment.events]));
    return c.json(unwrap(await c.var.session.fragment(c.var.caller, fragment, bodyHash)));
  })
  .post("/:id/close", async (c) => {
    const request = await readJson(c.req.raw, closeRequestSchema, { maxBytes: LIMITS.controlBodyBytes });
    return c.json(unwrap(await c.var.session.close(c.var.caller, request)));
  })
  .get("/:id", async (c) => c.json(unwrap(await c.var.session.status(c.var.caller))))
  .get("/:id/record", async (c) => {
    const { key } = unwrap(await c.var.session.recordLocation(c.var.caller));
    const object = await c.env.RECORDINGS.get(key);
    if (!object)
      throw new HttpError(500, "record_missing", `the record of "${c.var.caller.sessionId}" is not in storage`);
    return new Response(object.body, {
      headers: { "content-type": "application/json", etag: object.httpEtag, "cache-control": "private, immutable" },
    });
  });
