import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../app-env.ts";

/**
 * Rate limit of the inspector's pages (issue 29 item 9): a list view costs up to 5 R2 listings, ~100
 * Durable Object calls and ~50 HEADs, so page views and sign-ins are counted per client IP
 * (CF-Connecting-IP, set by Cloudflare and not by the client) with the INSPECT_RATE_LIMITER binding
 * (wrangler.toml: 60 a minute, counted per Cloudflare location). Recording Range reads (`audio.wav`, one
 * ranged read each, many while a call plays) are not counted. Without the binding: no limit.
 */
export const INSPECT_RATE_PERIOD_SECONDS = 60;

export const limitInspectRate = createMiddleware<AppEnv>(async function limitInspectRate(c, next) {
  const limiter = c.env.INSPECT_RATE_LIMITER;
  if (limiter && !c.req.path.endsWith("/audio.wav")) {
    const ip = c.req.header("cf-connecting-ip")?.trim() || "unknown";
    const { success } = await limiter.limit({ key: `inspect:${ip}` });
    if (!success) {
      return c.json(
        {
          error: "rate_limited",
          detail: `too many inspector requests from this address; at most the configured limit per ${INSPECT_RATE_PERIOD_SECONDS} s is served (INSPECT_RATE_LIMITER)`,
        },
        429,
        { "retry-after": String(INSPECT_RATE_PERIOD_SECONDS), "cache-control": "no-store" },
      );
    }
  }
  await next();
});
