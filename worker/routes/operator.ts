import { Hono } from "hono";
import type { AppEnv } from "../app-env.ts";
import { unwrap } from "../errors.ts";

/**
 * Operator actions on a session's forward to Cekura. Authenticated like every /v1 route: the API key
 * picks the tenant, so an operator can only re-queue sessions of the key they present.
 *
 * `POST /v1/sessions/:id/forward/requeue`: a dead-lettered forward goes back to pending with its
 * attempts reset and is tried at once; 409 `not_dead_lettered` otherwise. Answers the session status.
 */
export const operatorRoutes = new Hono<AppEnv>().post("/:id/forward/requeue", async (c) => {
  return c.json(unwrap(await c.var.session.requeueForward(c.var.caller)));
});
