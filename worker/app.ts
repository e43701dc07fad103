import { Hono } from "hono";
import type { AppEnv } from "./app-env.ts";
import { HttpError } from "./errors.ts";
import { requireTenant } from "./middleware/auth.ts";
import { withSession } from "./middleware/session.ts";
import { audioRoutes } from "./routes/audio.ts";
import { consentRoutes } from "./routes/consent.ts";
import { healthRoutes } from "./routes/health.ts";
import { inspectRoutes } from "./routes/inspect.ts";
import { operatorRoutes } from "./routes/operator.ts";
import { createRelayRoutes } from "./routes/relay.ts";
import { sessionRoutes } from "./routes/sessions.ts";
import { traceRoutes } from "./routes/traces.ts";
import { eraseRoutes } from "./privacy/erase-route.ts";
import { requireKeyPolicy } from "./privacy/key-policy.ts";
import { limitTenantRate } from "./privacy/rate-limit.ts";
import { limitInspectRate } from "./privacy/inspect-rate-limit.ts";

export function createApp() {
  const app = new Hono<AppEnv>();
  app.route("/", healthRoutes);
  app.use("/inspect/*", limitInspectRate);
  app.route("/inspect", inspectRoutes);
  // Before the /v1/* auth: the relay's Authorization header is the client's OpenAI key (worker/relay/).
  app.route(
    "/v1/relay",
    createRelayRoutes(async (request, env, ctx) => app.fetch(request, env, ctx)),
  );
  app.use("/v1/*", requireKeyPolicy);
  app.use("/v1/*", requireTenant);
  app.use("/v1/*", limitTenantRate);
  app.use("/v1/sessions/:id", withSession);
  app.use("/v1/sessions/:id/*", withSession);
  app.use("/v1/traces/:id", withSession);
  app.route("/v1/sessions", sessionRoutes);
  app.route("/v1/traces", traceRoutes);
  app.route("/v1/sessions", operatorRoutes);
  app.route("/v1/sessions", consentRoutes);
  app.route("/v1/sessions", audioRoutes);
  app.route("/v1/sessions", eraseRoutes);

  app.notFound((c) =>
    c.json({ error: "not_found", detail: `no route for ${c.req.method} ${new URL(c.req.url).pathname}` }, 404),
  );
  app.onError((error, c) => {
    if (error instanceof HttpError) return error.getResponse();
    console.error("unhandled error", c.req.method, new URL(c.req.url).pathname, error);
    return c.json(
      { error: "internal_error", detail: "the Worker failed to handle this request; it is safe to retry" },
      500,
    );
  });
  return app;
}
