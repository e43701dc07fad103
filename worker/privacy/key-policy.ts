import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../app-env.ts";
import { configOf } from "../config.ts";
import type { Env } from "../env.ts";
import { HttpError } from "../errors.ts";

/** True when the Worker may authenticate callers: a key allow-list, or ALLOW_ANY_KEY=true said explicitly. */
export function keysConfigured(env: Env): boolean {
  return configOf(env).apiKeyHashes.size > 0 || env.ALLOW_ANY_KEY?.trim().toLowerCase() === "true";
}

export const keysNotConfigured = () =>
  new HttpError(
    503,
    "api_keys_not_configured",
    "this Worker has no API key allow-list: set API_KEY_HASHES (SHA-256 hex of accepted keys), or ALLOW_ANY_KEY=true to accept any key on purpose",
  );

/**
 * An internet-facing Worker with an empty API_KEY_HASHES would store whatever anyone sends: refuse
 * every request until keys are configured. Local runs (npm start, the tests) set ALLOW_ANY_KEY=true.
 */
export const requireKeyPolicy = createMiddleware<AppEnv>(async function requireKeyPolicy(c, next) {
  if (!keysConfigured(c.env)) throw keysNotConfigured();
  await next();
});
