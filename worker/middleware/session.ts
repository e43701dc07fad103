import { createMiddleware } from "hono/factory";
import { describeZodError, sessionIdSchema } from "../../sdk/protocol.ts";
import type { AppEnv } from "../app-env.ts";
import { configOf } from "../config.ts";
import { HttpError } from "../errors.ts";
import { sessionStub } from "../session/locate.ts";

/**
 * For routes with a session id (`/:id`): validates the id, then sets `c.var.caller` (tenant, session
 * id, key) and `c.var.session` (the session's Durable Object stub). Runs after the tenant middleware.
 */
export const withSession = createMiddleware<AppEnv>(async function withSession(c, next) {
  const parsed = sessionIdSchema.safeParse(c.req.param("id"));
  if (!parsed.success)
    throw new HttpError(400, "invalid_session_id", describeZodError(parsed.error).replace(/^\(body\): /, ""));
  const caller = { tenant: c.get("tenant"), sessionId: parsed.data, apiKey: c.get("apiKey") };
  c.set("caller", caller);
  c.set("session", sessionStub(c.env, configOf(c.env), caller.tenant, caller.sessionId));
  await next();
});
