import { Hono } from "hono";
import { LIMITS, sessionControlSchema, type SessionControl } from "../../sdk/protocol.ts";
import type { AppEnv } from "../app-env.ts";
import { unwrap } from "../errors.ts";
import { readJson } from "../middleware/body.ts";

/** The body is optional: none (or an empty one) means `{}`; otherwise JSON per sessionControlSchema. */
async function readControl(request: Request): Promise<SessionControl> {
  const declared = request.headers.get("content-length");
  if (!request.body || declared === "0") return {};
  if (!request.headers.get("content-type")) {
    const text = await request.text();
    if (text.trim() === "") return {};
    return readJson(new Request(request.url, { method: "POST", body: text, headers: { "content-type": "application/json" } }), sessionControlSchema, { maxBytes: LIMITS.controlBodyBytes });
  }
  return readJson(request, sessionControlSchema, { maxBytes: LIMITS.controlBodyBytes });
}

/**
 * Consent routes, all idempotent:
 * POST /:id/consent (startAudioUpload), POST /:id/abort, POST /:id/abort-recording.
 * Each answers the session's status; errors are `{error, detail}` (409 after abort or finalization).
 */
export const consentRoutes = new Hono<AppEnv>()
  .post("/:id/consent", async (c) => {
    const request = await readControl(c.req.raw);
    return c.json(unwrap(await c.var.session.consent(c.var.caller, request)));
  })
  .post("/:id/abort", async (c) => {
    const request = await readControl(c.req.raw);
    return c.json(unwrap(await c.var.session.abort(c.var.caller, request)));
  })
  .post("/:id/abort-recording", async (c) => {
    const request = await readControl(c.req.raw);
    return c.json(unwrap(await c.var.session.abortRecording(c.var.caller, request)));
  });
