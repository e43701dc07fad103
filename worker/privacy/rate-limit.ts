import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../app-env.ts";
import { HttpError } from "../errors.ts";

/**
 * Per-tenant request rate limit with Cloudflare's Rate Limiting binding (TENANT_RATE_LIMITER, keyed by
 * the tenant hash; counts are per Cloudflare location and approximate). Without the binding: no limit.
 * Runs after authentication, so the key is never a client-chosen string.
 */
export const limitTenantRate = createMiddleware<AppEnv>(async function limitTenantRate(c, next) {
  const limiter = c.env.TENANT_RATE_LIMITER;
  if (limiter) {
    const { success } = await limiter.limit({ key: c.get("tenant") });
    if (!success) {
      const period = c.env.TENANT_RATE_LIMIT_PERIOD_SECONDS?.trim() === "60" ? "60" : "10";
      throw new HttpError(
        429,
        "rate_limited",
        `too many requests for this API key; at most the configured limit per ${period} s is accepted (TENANT_RATE_LIMITER)`,
        {
          "retry-after": period,
        },
      );
    }
  }
  await next();
});
