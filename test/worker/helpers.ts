import { SELF } from "cloudflare:test";

export const KEY = "test-key-tenant-a";
export const OTHER_KEY = "test-key-tenant-b";
export const BASE = "http://ingest.test";

export const uniqueId = (prefix = "s") => `${prefix}-${crypto.randomUUID()}`;
export const at = (ms: number) => new Date(Date.UTC(2026, 10, 25, 12, 0, 0) + ms).toISOString();

export function fragment(seq: number, events: unknown[] = [], extra: Record<string, unknown> = {}) {
  return { agentId: 42, mode: "observe", seq, sentAt: at(seq * 1000), events, ...extra };
}

export const say = (role: string, text: string, startMs: number, endMs = startMs + 500) => ({
  kind: "transcript",
  role,
  text,
  startedAt: at(startMs),
  endedAt: at(endMs),
});

export function call(method: string, path: string, body?: unknown, key: string | null = KEY, headers: Record<string, string> = {}) {
  const init: RequestInit = { method, headers: { ...headers } };
  if (key) (init.headers as Record<string, string>)["authorization"] = `Bearer ${key}`;
  if (body !== undefined) {
    (init.headers as Record<string, string>)["content-type"] ??= "application/json";
    init.body = typeof body === "string" || body instanceof Uint8Array ? (body as BodyInit) : JSON.stringify(body);
  }
  return SELF.fetch(`${BASE}${path}`, init);
}

export const sendFragment = (id: string, f: unknown, key: string = KEY) => call("POST", `/v1/sessions/${id}/fragments`, f, key);
export const closeSession = (id: string, body: unknown, key: string = KEY) => call("POST", `/v1/sessions/${id}/close`, body, key);
export const getStatus = (id: string, key: string = KEY) => call("GET", `/v1/sessions/${id}`, undefined, key);
export const getRecord = (id: string, key: string = KEY) => call("GET", `/v1/sessions/${id}/record`, undefined, key);

export async function tenantOf(key: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(key));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}
