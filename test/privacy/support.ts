import { SELF } from "cloudflare:test";

import { withLuhnDigit } from "../support/luhn.ts";

export { hex, spanRequest } from "../support/otlp-json.ts";

export const BASE = "http://ingest.test";
export const uniqueId = (prefix = "s") => `${prefix}-${crypto.randomUUID()}`;
/** A fresh API key, so each test is its own tenant (rate limits and the open-session cap are per tenant). */
export const freshKey = () => `key-${crypto.randomUUID()}`;
export const at = (ms: number) => new Date(Date.UTC(2026, 10, 25, 12, 0, 0) + ms).toISOString();

export function call(
  method: string,
  path: string,
  key: string | null,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const init: RequestInit = { method, headers: { ...headers }, redirect: "manual" };
  if (key) (init.headers as Record<string, string>)["authorization"] = `Bearer ${key}`;
  if (body !== undefined) {
    (init.headers as Record<string, string>)["content-type"] ??= "application/json";
    init.body = typeof body === "string" || body instanceof Uint8Array ? (body as BodyInit) : JSON.stringify(body);
  }
  return SELF.fetch(`${BASE}${path}`, init);
}

export function fragment(seq: number, events: unknown[], extra: Record<string, unknown> = {}) {
  return { agentId: 42, mode: "observe", seq, sentAt: at(seq * 1000), events, ...extra };
}

export const say = (role: string, text: string, startMs: number) => ({
  kind: "transcript",
  role,
  text,
  startedAt: at(startMs),
  endedAt: at(startMs + 500),
});

const digits = (n: number) => Array.from(crypto.getRandomValues(new Uint8Array(n)), (b) => String(b % 10)).join("");

/** A random 16-digit card number that passes the Luhn check (starts with 4). */
export const cardNumber = (): string => withLuhnDigit(`4${digits(14)}`);
export const email = () => `jane.${digits(8)}@example.com`;
export const phone = () => `+44 20 ${digits(4)} ${digits(4)}`;
export const usSsn = () =>
  `${100 + (Number(digits(3)) % 500)}-${10 + (Number(digits(2)) % 89)}-${1000 + (Number(digits(4)) % 8999)}`;
export const ukNino = () => `AB ${digits(2)} ${digits(2)} ${digits(2)} C`;

/** A new session's first fragment carrying one custom redaction `pattern` and nothing else: the Worker's answer. */
export async function postCustomPattern(
  key: string,
  pattern: string,
): Promise<{ status: number; error: string; detail: string }> {
  const body = fragment(0, [], { redact: { patterns: [{ name: "p", pattern }] } });
  const res = await call("POST", `/v1/sessions/${uniqueId("pattern")}/fragments`, key, body);
  return { status: res.status, ...(await json<{ error: string; detail: string }>(res)) };
}

export async function json<T = Record<string, unknown>>(res: Response): Promise<T> {
  return (await res.json()) as T;
}
