import { Hono } from "hono";
import { closeRequestSchema, describeZodError, fragmentSchema, LIMITS, sessionIdSchema } from "../../sdk/protocol.ts";
import type { AppEnv } from "../app-env.ts";
import { readConfig } from "../config.ts";
import { HttpError, unwrap } from "../errors.ts";
import { sha256Hex } from "../util/sha256.ts";
import { readJson } from "../middleware/body.ts";
import type { Caller } from "../session/session-do.ts";
import { sessionStub } from "../session/locate.ts";
import type { Context } from "hono";

export function callerOf(c: Context<AppEnv>): Caller {
  const parsed = sessionIdSchema.safeParse(c.req.param("id"));
  if (!parsed.success) throw new HttpError(400, "invalid_session_id", describeZodError(parsed.error).replace(/^\(body\): /, ""));
  return { tenant: c.get("tenant"), sessionId: parsed.data, apiKey: c.get("apiKey") };
}

export function stubFor(c: Context<AppEnv>, caller: Caller) {
  return sessionStub(c.env, readConfig(c.env), caller.tenant, caller.sessionId);
}

/** Fragments, close, status and record of one session. */
export const sessionRoutes = new Hono<AppEnv>()
  .post("/:id/fragments", async (c) => {
    const caller = callerOf(c);
    const fragment = await readJson(c.req.raw, fragmentSchema, {
      maxBytes: LIMITS.fragmentBodyBytes,
      maxDecompressedBytes: LIMITS.fragmentDecompressedBytes,
    });
    // sentAt may differ between retries of one fragment; identity is seq + content.
    const bodyHash = await sha256Hex(JSON.stringify([fragment.agentId, fragment.mode, fragment.seq, fragment.events]));
    const ack = unwrap(await stubFor(c, caller).fragment(caller, fragment, bodyHash));
    return c.json(ack);
  })
  .post("/:id/close", async (c) => {
    const caller = callerOf(c);
    const request = await readJson(c.req.raw, closeRequestSchema, { maxBytes: LIMITS.controlBodyBytes });
    return c.json(unwrap(await stubFor(c, caller).close(caller, request)));
  })
  .get("/:id", async (c) => {
    const caller = callerOf(c);
    return c.json(unwrap(await stubFor(c, caller).status(caller)));
  })
  .get("/:id/record", async (c) => {
    const caller = callerOf(c);
    const { key } = unwrap(await stubFor(c, caller).recordLocation(caller));
    const object = await c.env.RECORDINGS.get(key);
    if (!object) throw new HttpError(500, "record_missing", `the record of "${caller.sessionId}" is not in storage`);
    return new Response(object.body, {
      headers: { "content-type": "application/json", etag: object.httpEtag, "cache-control": "private, immutable" },
    });
  });
