import { createMiddleware } from "hono/factory";
import { sessionIdProblem } from "../../sdk/wire/limits.ts";
import type { AppEnv } from "../app-env.ts";
import { configOf } from "../config.ts";
import { HttpError } from "../errors.ts";
import { sessionStub } from "../session/locate.ts";

/**
 * For routes with a session id (`/:id`): validates the id, then sets `c.var.caller` (tenant, session
 * id, key) and `c.var.session` (the session's Durable Object stub). Runs after the tenant middleware.
 */
export const withSession = createMiddleware<AppEnv>(async function withSession(c, next) {
  const sessionId = c.req.param("id") ?? "";
  const problem = sessionIdProblem(sessionId);
  if (problem !== undefined) throw new HttpError(400, "invalid_session_id", problem);
  const caller = { tenant: c.get("tenant"), sessionId, apiKey: c.get("apiKey") };
  c.set("caller", caller);
  c.set("session", sessionStub(c.env, configOf(c.env), caller.tenant, caller.sessionId));
  await next();
});
