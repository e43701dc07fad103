/** The call inspector: `/inspect` (list), `/inspect/:id` (one call), `/inspect/:id/audio.wav` (Range). Same tenant only. */
import { Hono, type Context } from "hono";
import { sessionIdSchema } from "../../sdk/protocol.ts";
import type { AppEnv } from "../app-env.ts";
import { accessOf, clearCookie, keyCookie, tenantOfKey, type Access } from "../inspect/access.ts";
import { audioResponse } from "../inspect/audio-response.ts";
import { renderCallPage } from "../inspect/call-page.ts";
import { PAGE_HEADERS } from "../inspect/html.ts";
import { renderListPage, renderLoginPage, renderMessagePage, type ListRow } from "../inspect/list-page.ts";
import { loadCall, loadRecord, loadStatus } from "../inspect/load-call.ts";
import { recentSessions } from "../inspect/tenant-index.ts";

const LIST_LIMIT = 50;

const html = (body: string, status = 200, extra: Record<string, string> = {}) => new Response(body, { status, headers: { ...PAGE_HEADERS, ...extra } });

function denied(access: Exclude<Access, { ok: true }>): Response {
  const message =
    access.reason === "missing"
      ? "Enter the API key of the tenant whose calls you want to see (the local start prints it)."
      : access.reason === "unknown"
        ? "This key is not on the Worker's allow-list (API_KEY_HASHES)."
        : "That is not a valid API key.";
  return html(renderLoginPage(message), 401, access.reason === "missing" ? {} : { "set-cookie": clearCookie() });
}

/** Stores the key in the cookie and redirects to a URL without it (so it leaves the address bar and history). */
async function acceptKey(c: Context<AppEnv>, key: string, to: string): Promise<Response> {
  const access = await tenantOfKey(c, key);
  if (!access.ok) return denied(access);
  return new Response(null, { status: 303, headers: { location: to, "set-cookie": keyCookie(c, key), "cache-control": "no-store", "referrer-policy": "no-referrer" } });
}

function sessionIdOf(c: Context<AppEnv>): string | undefined {
  const parsed = sessionIdSchema.safeParse(c.req.param("id"));
  return parsed.success ? parsed.data : undefined;
}

export const inspectRoutes = new Hono<AppEnv>()
  .get("/", async (c) => {
    const key = c.req.query("key");
    if (key !== undefined) return acceptKey(c, key, "/inspect");
    const access = await accessOf(c);
    if (!access.ok) return denied(access);
    const sessions = await recentSessions(c.env, access.tenant, LIST_LIMIT);
    const rows: ListRow[] = await Promise.all(
      sessions.map(async (s): Promise<ListRow> => {
        const status = await loadStatus(c.env, access.tenant, s.sessionId).catch(() => undefined);
        if (status?.state !== "finalized") return { ...s, status };
        const record = await loadRecord(c.env, access.tenant, s.sessionId).catch(() => null);
        return { ...s, status, ...(record ? { recordDurationSeconds: record.durationSeconds } : {}) };
      }),
    );
    return html(renderListPage(rows));
  })
  .post("/login", async (c) => {
    const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
    const key = typeof form.key === "string" ? form.key.trim() : "";
    return acceptKey(c, key, "/inspect");
  })
  .post("/logout", () => new Response(null, { status: 303, headers: { location: "/inspect", "set-cookie": clearCookie() } }))
  .get("/:id", async (c) => {
    const id = sessionIdOf(c);
    const key = c.req.query("key");
    if (key !== undefined && id) return acceptKey(c, key, `/inspect/${encodeURIComponent(id)}`);
    const access = await accessOf(c);
    if (!access.ok) return denied(access);
    if (!id) return html(renderMessagePage("Not a session id", "The address does not name a valid session id."), 400);
    const view = await loadCall(c.env, access.tenant, id);
    if (!view) return html(renderMessagePage("Session not found", "There is no session with this id for your key."), 404);
    return html(renderCallPage(view));
  })
  .get("/:id/audio.wav", async (c) => {
    const access = await accessOf(c);
    if (!access.ok) return c.json({ error: "missing_api_key", detail: "open /inspect with the tenant's key first" }, 401);
    const id = sessionIdOf(c);
    const record = id && (await loadStatus(c.env, access.tenant, id)) ? await loadRecord(c.env, access.tenant, id) : null;
    if (!id || !record?.audio) return c.json({ error: "not_found", detail: "this session has no recording for your key" }, 404);
    return audioResponse(c.env, record.audio.key, c.req.header("range"));
  });
