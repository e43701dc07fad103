/**
 * The capacity baseline: a bare Hono Worker on the same workerd that reads each request's body and
 * answers a small JSON ack - no auth, no validation, no Durable Object, no storage.
 */
import { Hono } from "hono";

const app = new Hono();
app.get("/healthz", (c) => c.json({ ok: true }));
app.on(["POST", "PUT"], "/v1/sessions/:id/*", async (c) => {
  const body = await c.req.arrayBuffer();
  return c.json({ ackedThrough: 0, missing: [], bytes: body.byteLength });
});
export default app;
