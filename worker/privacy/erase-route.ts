import { Hono } from "hono";
import type { AppEnv } from "../app-env.ts";
import { unwrap } from "../errors.ts";

/**
 * `DELETE /v1/sessions/:id` with the session's own key: erases the record, audio (and an in-progress
 * upload), spans (also parked ones of its traces), waveform peaks and the Durable Object's storage;
 * keeps a tombstone that refuses later writes. Idempotent. Answers when it happened and whether
 * Cekura already has a copy (which must then be deleted in Cekura).
 */
export const eraseRoutes = new Hono<AppEnv>().delete("/:id", async (c) => {
  return c.json(unwrap(await c.var.session.erase(c.var.caller)));
});
