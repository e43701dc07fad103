/**
 * Inspector access: the tenant's API key, given once by `/inspect?key=...` or the login form, kept in an
 * HttpOnly SameSite=Strict cookie scoped to /inspect. The key is never written into a page or a log.
 * An `Authorization`/`X-CEKURA-API-KEY` header works too (scripts).
 */
import type { Context } from "hono";
import type { AppEnv } from "../app-env.ts";
import { configOf } from "../config.ts";
import { apiKeyFrom } from "../middleware/auth.ts";
import { sha256Hex } from "../util/sha256.ts";

export const COOKIE = "cekura_inspect_key";
const MAX_KEY_LENGTH = 512;

export type Access = { ok: true; tenant: string } | { ok: false; reason: "missing" | "unknown" | "invalid" };

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/** Checks a key like the API's auth does (allow-list when configured); returns its tenant. */
export async function tenantOfKey(c: Context<AppEnv>, key: string | undefined): Promise<Access> {
  if (key === undefined || key === "") return { ok: false, reason: "missing" };
  if (key.length > MAX_KEY_LENGTH || /[\u0000-\u001f\u007f]/.test(key)) return { ok: false, reason: "invalid" };
  const tenant = await sha256Hex(key);
  const { apiKeyHashes } = configOf(c.env);
  if (apiKeyHashes.size > 0 && !apiKeyHashes.has(tenant)) return { ok: false, reason: "unknown" };
  return { ok: true, tenant };
}

/** The caller's tenant from the header or the cookie. */
export function accessOf(c: Context<AppEnv>): Promise<Access> {
  return tenantOfKey(c, apiKeyFrom(c.req.raw.headers) ?? cookieValue(c.req.header("cookie"), COOKIE));
}

/** Set-Cookie for a key (Secure on https; SameSite=Strict; HttpOnly; only sent to /inspect). */
export function keyCookie(c: Context<AppEnv>, key: string): string {
  const secure = new URL(c.req.url).protocol === "https:" ? "; Secure" : "";
  return `${COOKIE}=${encodeURIComponent(key)}; Path=/inspect; HttpOnly; SameSite=Strict; Max-Age=43200${secure}`;
}

export function clearCookie(): string {
  return `${COOKIE}=; Path=/inspect; HttpOnly; SameSite=Strict; Max-Age=0`;
}
