/** The call inspector: `/inspect` (list), `/inspect/:id` (one call), `/inspect/:id/audio.wav` (Range). Same tenant only. */
import { Hono, type Context } from "hono";
import { sessionIdSchema } from "../../sdk/protocol.ts";
import type { AppEnv } from "../app-env.ts";
import {
  accessOf,
  clearCookie,
  inspectorConfigured,
  issueToken,
  loginKey,
  revokeTokens,
  sameOrigin,
  tenantOfKey,
  tokenCookie,
  type Access,
} from "../inspect/access.ts";
import { audioResponse } from "../inspect/audio-response.ts";
import { renderCallPage } from "../inspect/call-page.ts";
import { PAGE_HEADERS } from "../inspect/html.ts";
import { renderListPage, renderLoginPage, renderMessagePage, type ListRow } from "../inspect/list-page.ts";
import { loadCall, loadRecord, loadRecordSummary, loadStatus } from "../inspect/load-call.ts";
import { recentSessions } from "../inspect/tenant-index.ts";
import { securePage } from "../privacy/page-security.ts";

const LIST_LIMIT = 50;

/** A page with a strict CSP: its inline code allowed by hash, no 'unsafe-inline' (privacy/page-security.ts). */
async function html(body: string, status = 200, extra: Record<string, string> = {}): Promise<Response> {
  const secured = await securePage(body);
  return new Response(secured.html, {
    status,
    headers: { ...PAGE_HEADERS, "content-security-policy": secured.csp, ...extra },
  });
}

const DENIED: Record<Exclude<Access, { ok: true }>["reason"], string> = {
  missing: "Enter the API key of the tenant whose calls you want to see (the local start prints it).",
  unknown: "This key is not on the Worker's allow-list (API_KEY_HASHES).",
  invalid: "That is not a valid API key, or the sign-in is no longer valid. Sign in again.",
  expired: "Your inspector sign-in has expired. Sign in again.",
  not_configured:
    "The inspector is closed on this Worker: it needs an INSPECTOR_SECRET and an API key list (API_KEY_HASHES) or ALLOW_ANY_KEY=true.",
};

function denied(access: Exclude<Access, { ok: true }>): Promise<Response> {
  const status = access.reason === "not_configured" ? 503 : 401;
  return html(
    renderLoginPage(DENIED[access.reason]),
    status,
    access.reason === "missing" ? {} : { "set-cookie": clearCookie() },
  );
}

/** A key in a URL is never accepted (logs, history and proxies keep URLs): say so, set nothing. */
const keyInUrl = () =>
  html(renderLoginPage("API keys are not accepted in URLs. Enter the key in the form below."), 400);

/** Login: a form POST from this origin; the cookie gets a signed read-only token, never the key. */
async function login(c: Context<AppEnv>): Promise<Response> {
  if (!sameOrigin(c))
    return html(renderMessagePage("Sign-in refused", "Sign in from this inspector's own login form."), 403);
  const access = await tenantOfKey(c.env, await loginKey(c.req.raw));
  if (!access.ok) return denied(access);
  const token = await issueToken(c.env, access.tenant);
  if (!token) return denied({ ok: false, reason: "not_configured" });
  return new Response(null, {
    status: 303,
    headers: {
      location: "/inspect",
      "set-cookie": tokenCookie(c, token),
      "cache-control": "no-store",
      "referrer-policy": "same-origin",
    },
  });
}

function sessionIdOf(c: Context<AppEnv>): string | undefined {
  const parsed = sessionIdSchema.safeParse(c.req.param("id"));
  return parsed.success ? parsed.data : undefined;
}

export const inspectRoutes = new Hono<AppEnv>()
  // No INSPECTOR_SECRET: the inspector is closed - every route, login, logout and API-key headers alike.
  .use("*", async (c, next) => {
    if (!inspectorConfigured(c.env)) return denied({ ok: false, reason: "not_configured" });
    await next();
  })
  .get("/", async (c) => {
    if (c.req.query("key") !== undefined) return keyInUrl();
    const access = await accessOf(c);
    if (!access.ok) return denied(access);
    const sessions = await recentSessions(c.env, access.tenant, LIST_LIMIT);
    const rows: ListRow[] = await Promise.all(
      sessions.map(async (s): Promise<ListRow> => {
        const status = await loadStatus(c.env, access.tenant, s.sessionId).catch(() => undefined);
        if (status?.state !== "finalized") return { ...s, status };
        const summary = await loadRecordSummary(c.env, access.tenant, s.sessionId).catch(() => null);
        return { ...s, status, ...(summary ? { recordDurationSeconds: summary.durationSeconds } : {}) };
      }),
    );
    return html(renderListPage(rows));
  })
  .post("/login", login)
  .post("/logout", async (c) => {
    if (!sameOrigin(c))
      return html(renderMessagePage("Sign-out refused", "Sign out from this inspector's own pages."), 403);
    // Sign-out ends the token itself, not only this browser's cookie: a copied cookie stops working too.
    const access = await accessOf(c);
    if (access.ok) await revokeTokens(c.env, access.tenant);
    return new Response(null, {
      status: 303,
      headers: { location: "/inspect", "set-cookie": clearCookie(), "cache-control": "no-store" },
    });
  })
  .get("/:id", async (c) => {
    const id = sessionIdOf(c);
    if (c.req.query("key") !== undefined) return keyInUrl();
    const access = await accessOf(c);
    if (!access.ok) return denied(access);
    if (!id) return html(renderMessagePage("Not a session id", "The address does not name a valid session id."), 400);
    const view = await loadCall(c.env, access.tenant, id);
    if (!view)
      return html(renderMessagePage("Session not found", "There is no session with this id for your key."), 404);
    return html(renderCallPage(view));
  })
  .get("/:id/audio.wav", async (c) => {
    const access = await accessOf(c);
    if (!access.ok)
      return c.json({ error: "missing_api_key", detail: "open /inspect with the tenant's key first" }, 401);
    const id = sessionIdOf(c);
    const record =
      id && (await loadStatus(c.env, access.tenant, id)) ? await loadRecord(c.env, access.tenant, id) : null;
    if (!id || !record?.audio)
      return c.json({ error: "not_found", detail: "this session has no recording for your key" }, 404);
    return audioResponse(c.env, record.audio.key, c.req.header("range"));
  });
