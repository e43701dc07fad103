import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../app-env.ts";
import { configOf } from "../config.ts";
import { HttpError } from "../errors.ts";
import { sha256Hex } from "../util/sha256.ts";

/** Reads the API key from `Authorization: Bearer` or `X-CEKURA-API-KEY`. */
export function apiKeyFrom(headers: Headers): string | undefined {
  const bearer = headers.get("authorization");
  if (bearer) {
    const match = /^Bearer\s+(.+)$/i.exec(bearer.trim());
    if (match?.[1]) return match[1].trim();
  }
  const key = headers.get("x-cekura-api-key")?.trim();
  return key || undefined;
}

/** Tenant = SHA-256 of the key; an allow-list of hashes, when configured, rejects others before any DO is touched. */
export const requireTenant = createMiddleware<AppEnv>(async function requireTenant(c, next) {
  const key = apiKeyFrom(c.req.raw.headers);
  if (!key) {
    throw new HttpError(
      401,
      "missing_api_key",
      "send the API key as `Authorization: Bearer <key>` or `X-CEKURA-API-KEY: <key>`",
    );
  }
  const tenant = await sha256Hex(key);
  const { apiKeyHashes } = configOf(c.env);
  if (apiKeyHashes.size > 0 && !apiKeyHashes.has(tenant)) {
    throw new HttpError(401, "unknown_api_key", "this API key is not on the Worker's allow-list (API_KEY_HASHES)");
  }
  c.set("tenant", tenant);
  c.set("apiKey", key);
  await next();
});
