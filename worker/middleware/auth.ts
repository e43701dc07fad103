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

/** Tenants of the keys this isolate has seen: the key's hash is computed once per key, not once per request. */
const tenantOfKey = new Map<string, string>();
const TENANT_CACHE_KEYS = 1000;

async function tenantOf(key: string): Promise<string> {
  const known = tenantOfKey.get(key);
  if (known !== undefined) return known;
  const tenant = await sha256Hex(key);
  // Bounded: past the limit (many keys, or someone trying keys) it starts over.
  if (tenantOfKey.size >= TENANT_CACHE_KEYS) tenantOfKey.clear();
  tenantOfKey.set(key, tenant);
  return tenant;
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
  const tenant = await tenantOf(key);
  const { apiKeyHashes } = configOf(c.env);
  if (apiKeyHashes.size > 0 && !apiKeyHashes.has(tenant)) {
    throw new HttpError(401, "unknown_api_key", "this API key is not on the Worker's allow-list (API_KEY_HASHES)");
  }
  c.set("tenant", tenant);
  c.set("apiKey", key);
  await next();
});
