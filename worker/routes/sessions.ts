import { Hono } from "hono";
import { closeRequestSchema, LIMITS } from "../../sdk/protocol.ts";
import type { AppEnv } from "../app-env.ts";
import { HttpError, unwrap } from "../errors.ts";
import { readBodyBytes, readJson, requireJsonContentType } from "../middleware/body.ts";

/** Fragments, close, status and record of one session (`c.var.caller` / `c.var.session` from withSession). */
export const sessionRoutes = new Hono<AppEnv>()
  .post("/:id/fragments", async (c) => {
    requireJsonContentType(c.req.raw);
    const body = await readBodyBytes(c.req.raw, {
      maxBytes: LIMITS.fragmentBodyBytes,
      maxDecompressedBytes: LIMITS.fragmentDecompressedBytes,
    });
    // The session parses and validates the bytes: measured, sending them is cheaper than cloning the parsed events.
    return c.json(unwrap(await c.var.session.fragment(c.var.caller, body)));
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
