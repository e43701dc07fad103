import { Hono } from "hono";
import { LIMITS, sessionControlSchema, type SessionControl } from "../../sdk/protocol.ts";
import type { AppEnv } from "../app-env.ts";
import { unwrap } from "../errors.ts";
import { parseJson, readBodyBytes, requireJsonContentType } from "../middleware/body.ts";

/**
 * The body is optional: none (or an empty one) means `{}`; otherwise JSON per sessionControlSchema.
 * Without a Content-Type the body is still read under the control-body cap before it is looked at.
 */
async function readControl(request: Request): Promise<SessionControl> {
  if (!request.body) return {};
  if (request.headers.get("content-type")) {
    requireJsonContentType(request);
    if (request.headers.get("content-length") === "0") return {};
  }
  const bytes = await readBodyBytes(request, { maxBytes: LIMITS.controlBodyBytes });
  if (new TextDecoder().decode(bytes).trim() === "") return {};
  return parseJson(bytes, sessionControlSchema);
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
