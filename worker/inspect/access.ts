/**
 * Inspector access. The API key is given only in the body of a POST to /inspect/login (never in a URL),
 * from a page of this origin (the request's Origin must be ours: no login CSRF). The browser then holds
 * an HttpOnly SameSite=Strict cookie, scoped to /inspect, with a signed, expiring, read-only token
 * (HMAC-SHA256 with the INSPECTOR_SECRET Worker secret) naming the tenant: never the key, and worthless
 * to the /v1 API, which reads keys from headers only. An `Authorization`/`X-CEKURA-API-KEY` header works
 * for scripts.
 */
import type { Context } from "hono";
import type { AppEnv } from "../app-env.ts";
import { configOf } from "../config.ts";
import type { Env } from "../env.ts";
import { apiKeyFrom } from "../middleware/auth.ts";
import { sha256Hex } from "../util/sha256.ts";
import { readCapped } from "../middleware/body.ts";
import { keysConfigured } from "../privacy/key-policy.ts";
import { tenantIndexStub } from "../privacy/open-sessions.ts";

export const COOKIE = "cekura_inspect";
const MAX_KEY_LENGTH = 512;
/** The login form's body: one key field, a few hundred bytes. */
const MAX_LOGIN_BODY_BYTES = 4096;
const MIN_SECRET_LENGTH = 32;
const DEFAULT_SESSION_SECONDS = 12 * 3600;
const SCOPE = "inspect:read";

export type Access =
  | { ok: true; tenant: string }
  | { ok: false; reason: "missing" | "unknown" | "invalid" | "expired" | "not_configured" };

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

const b64url = (bytes: Uint8Array) =>
  btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
function fromB64url(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return undefined;
  try {
    return Uint8Array.from(atob(text.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
}

/** Whether the inspector is open: INSPECTOR_SECRET set and long enough. Unset -> every /inspect route is 503. */
export const inspectorConfigured = (env: Env) =>
  typeof env.INSPECTOR_SECRET === "string" && env.INSPECTOR_SECRET.length >= MIN_SECRET_LENGTH;

/** The signing key, or undefined when INSPECTOR_SECRET is unset or too short (the inspector is then closed). */
async function signingKey(env: Env): Promise<CryptoKey | undefined> {
  const secret = env.INSPECTOR_SECRET;
  if (!secret || secret.length < MIN_SECRET_LENGTH) return undefined;
  return crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
    "verify",
  ]);
}

export function sessionSeconds(env: Env): number {
  const raw = env.INSPECTOR_SESSION_SECONDS?.trim();
  if (!raw) return DEFAULT_SESSION_SECONDS;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 60 || n > 7 * 24 * 3600)
    throw new Error(`INSPECTOR_SESSION_SECONDS must be a whole number of seconds from 60 to 604800, got "${raw}"`);
  return n;
}

interface TokenClaims {
  /** Tenant (SHA-256 of the key). */
  t: string;
  scope: typeof SCOPE;
  /** Expiry, epoch seconds. */
  exp: number;
  /** The tenant's token version when issued: logout and erasure bump it, ending every older token. */
  v: number;
}

/** The tenant's current token version (kept in its index object; 0 where that binding is absent). */
const tokenVersion = async (env: Env, tenant: string) => (await tenantIndexStub(env, tenant)?.tokenVersion()) ?? 0;

/** Ends every inspector token of the tenant issued so far (logout; erasure does it in the index object). */
export async function revokeTokens(env: Env, tenant: string): Promise<void> {
  await tenantIndexStub(env, tenant)?.bumpTokenVersion();
}

/** `<payload>.<signature>`, both base64url; the payload names the tenant, the scope and the expiry. */
export async function issueToken(env: Env, tenant: string, now = Date.now()): Promise<string | undefined> {
  const key = await signingKey(env);
  if (!key) return undefined;
  const claims: TokenClaims = {
    t: tenant,
    scope: SCOPE,
    exp: Math.floor(now / 1000) + sessionSeconds(env),
    v: await tokenVersion(env, tenant),
  };
  const payload = b64url(new TextEncoder().encode(JSON.stringify(claims)));
  const signature = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(payload)));
  return `${payload}.${b64url(signature)}`;
}

export async function verifyToken(env: Env, token: string, now = Date.now()): Promise<Access> {
  const key = await signingKey(env);
  if (!key) return { ok: false, reason: "not_configured" };
  const [payload, signature, extra] = token.split(".");
  const sig = signature === undefined ? undefined : fromB64url(signature);
  if (!payload || !sig || extra !== undefined) return { ok: false, reason: "invalid" };
  if (!(await crypto.subtle.verify("HMAC", key, sig, new TextEncoder().encode(payload))))
    return { ok: false, reason: "invalid" };
  let claims: TokenClaims;
  try {
    claims = JSON.parse(new TextDecoder().decode(fromB64url(payload))) as TokenClaims;
  } catch {
    return { ok: false, reason: "invalid" };
  }
  if (claims.scope !== SCOPE || typeof claims.t !== "string" || !/^[0-9a-f]{64}$/.test(claims.t))
    return { ok: false, reason: "invalid" };
  if (!(claims.exp * 1000 > now)) return { ok: false, reason: "expired" };
  const access = allowed(env, claims.t);
  if (access.ok && claims.v !== (await tokenVersion(env, claims.t))) return { ok: false, reason: "invalid" };
  return access;
}

/** The allow-list (and the key policy) still apply to a signed-in tenant: a removed key loses access. */
function allowed(env: Env, tenant: string): Access {
  if (!keysConfigured(env)) return { ok: false, reason: "not_configured" };
  const { apiKeyHashes } = configOf(env);
  if (apiKeyHashes.size > 0 && !apiKeyHashes.has(tenant)) return { ok: false, reason: "unknown" };
  return { ok: true, tenant };
}

/** Checks a key like the API's auth does (allow-list when configured); returns its tenant. */
export async function tenantOfKey(env: Env, key: string | undefined): Promise<Access> {
  if (key === undefined || key === "") return { ok: false, reason: "missing" };
  if (key.length > MAX_KEY_LENGTH || /[\u0000-\u001f\u007f]/.test(key)) return { ok: false, reason: "invalid" };
  return allowed(env, await sha256Hex(key));
}

/** The caller's tenant: from an API key header (scripts), else from the signed cookie. */
export async function accessOf(c: Context<AppEnv>): Promise<Access> {
  // Closed means closed for scripts too: an API key header gets no page without INSPECTOR_SECRET.
  if (!inspectorConfigured(c.env)) return { ok: false, reason: "not_configured" };
  const key = apiKeyFrom(c.req.raw.headers);
  if (key !== undefined) return tenantOfKey(c.env, key);
  const token = cookieValue(c.req.header("cookie"), COOKIE);
  return token ? verifyToken(c.env, token) : { ok: false, reason: "missing" };
}

/**
 * A state-changing inspector request (login, logout) must come from a page of this origin: its Origin
 * header equals ours. Browsers send Origin with every cross-origin or POST request, so a missing one is
 * refused too.
 */
export function sameOrigin(c: Context<AppEnv>): boolean {
  const origin = c.req.header("origin");
  return origin !== undefined && origin !== "null" && origin === new URL(c.req.url).origin;
}

/** The key from the login form (application/x-www-form-urlencoded), read with a size cap. */
export async function loginKey(request: Request): Promise<string | undefined> {
  const type = (request.headers.get("content-type") ?? "").toLowerCase();
  if (!type.startsWith("application/x-www-form-urlencoded") || !request.body) return undefined;
  const declared = Number(request.headers.get("content-length") ?? "NaN");
  if (Number.isFinite(declared) && declared > MAX_LOGIN_BODY_BYTES) return undefined;
  try {
    const bytes = await readCapped(request.body, MAX_LOGIN_BODY_BYTES, "login form");
    const key = new URLSearchParams(new TextDecoder().decode(bytes)).get("key")?.trim();
    return key || undefined;
  } catch {
    return undefined;
  }
}

/** Set-Cookie for a signed token (Secure on https; SameSite=Strict; HttpOnly; only sent to /inspect). */
export function tokenCookie(c: Context<AppEnv>, token: string): string {
  const secure = new URL(c.req.url).protocol === "https:" ? "; Secure" : "";
  return `${COOKIE}=${token}; Path=/inspect; HttpOnly; SameSite=Strict; Max-Age=${sessionSeconds(c.env)}${secure}`;
}

export function clearCookie(): string {
  return `${COOKIE}=; Path=/inspect; HttpOnly; SameSite=Strict; Max-Age=0`;
}
