/**
 * Inspector access without a key in any URL: a POST login form checked against the request's Origin,
 * its body read with a cap, and a cookie holding a signed, expiring, read-only token (never the key)
 * that the /v1 API does not accept. Pages carry a CSP with no 'unsafe-inline'. (The same in a real
 * browser: test/inspect/inspector.test.ts.)
 */
import { env, reset } from "cloudflare:test";
import { afterEach, expect, it } from "vitest";
import { createApp } from "../../worker/app.ts";
import type { Env } from "../../worker/env.ts";
import { issueToken } from "../../worker/inspect/access.ts";
import { BASE, call, fragment, freshKey, say, uniqueId } from "./support.ts";

afterEach(() => reset());

const workerEnv = env as unknown as Env;
const ORIGIN = new URL(BASE).origin;

function login(
  key: string,
  headers: Record<string, string> = { origin: ORIGIN },
  body = new URLSearchParams({ key }).toString(),
) {
  return call("POST", "/inspect/login", null, body, {
    "content-type": "application/x-www-form-urlencoded",
    ...headers,
  });
}

const cookieOf = (res: Response) => res.headers.get("set-cookie") ?? "";
const tokenOf = (res: Response) => /cekura_inspect=([^;]*)/.exec(cookieOf(res))?.[1] ?? "";
const page = (path: string, token: string) => call("GET", path, null, undefined, { cookie: `cekura_inspect=${token}` });

it("signs in from this origin's form: a signed read-only token in an HttpOnly SameSite=Strict cookie, never the key", async () => {
  const key = freshKey();
  const id = uniqueId("inspect");
  await call("POST", `/v1/sessions/${id}/fragments`, key, fragment(0, [say("user", "hello", 0)]));
  const res = await login(key);
  expect(res.status).toBe(303);
  expect(res.headers.get("location")).toBe("/inspect");
  expect(cookieOf(res)).toMatch(
    /^cekura_inspect=[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+; Path=\/inspect; HttpOnly; SameSite=Strict; Max-Age=43200$/,
  );
  const token = tokenOf(res);
  expect(token).not.toContain(key);
  expect(atob(token.split(".")[0]!.replace(/-/g, "+").replace(/_/g, "/"))).not.toContain(key);
  const list = await page("/inspect", token);
  expect(list.status).toBe(200);
  expect(await list.text()).toContain(id);
  // The token is read-only: the API (which reads keys from headers only) does not accept it.
  const api = await call("GET", `/v1/sessions/${id}`, null, undefined, { cookie: `cekura_inspect=${token}` });
  expect(api.status).toBe(401);
});

it("refuses a login from another origin or without an Origin (login CSRF), and a key in a URL", async () => {
  const key = freshKey();
  for (const headers of [{ origin: "https://evil.example" }, { origin: "null" }, {}] as Record<string, string>[]) {
    const res = await login(key, headers);
    expect(res.status).toBe(403);
    expect(cookieOf(res)).toBe("");
  }
  for (const path of [`/inspect?key=${key}`, `/inspect/${uniqueId()}?key=${key}`]) {
    const res = await call("GET", path, null);
    expect(res.status).toBe(400);
    expect(cookieOf(res)).toBe("");
    expect(await res.text()).not.toContain(key);
  }
});

it("reads the login body with a cap and refuses bad, tampered, expired or foreign tokens", async () => {
  const key = freshKey();
  const huge = await login(key, { origin: ORIGIN }, `key=${encodeURIComponent(key)}&pad=${"x".repeat(5000)}`);
  expect(huge.status).toBe(401);
  expect(cookieOf(huge)).not.toContain("cekura_inspect=ey");
  const token = tokenOf(await login(key));
  expect((await page("/inspect", token)).status).toBe(200);
  const [payload, signature] = token.split(".");
  const claims = JSON.parse(atob(payload!.replace(/-/g, "+").replace(/_/g, "/")));
  const forged = btoa(JSON.stringify({ ...claims, t: "0".repeat(64) }))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
  expect((await page("/inspect", `${forged}.${signature}`)).status).toBe(401);
  expect((await page("/inspect", `${payload}.${signature!.slice(0, -2)}AA`)).status).toBe(401);
  const expired = await issueToken(workerEnv, claims.t, Date.now() - 13 * 3600 * 1000);
  expect((await page("/inspect", expired!)).status).toBe(401);
  const otherSecret = await issueToken(
    { ...workerEnv, INSPECTOR_SECRET: "another-secret-of-at-least-32-characters!" },
    claims.t,
  );
  expect((await page("/inspect", otherSecret!)).status).toBe(401);
});

it("is closed (503) without an INSPECTOR_SECRET", async () => {
  const app = createApp();
  const res = await app.request(
    `${BASE}/inspect/login`,
    {
      method: "POST",
      headers: { origin: ORIGIN, "content-type": "application/x-www-form-urlencoded" },
      body: `key=${freshKey()}`,
    },
    { ...workerEnv, INSPECTOR_SECRET: "" },
  );
  expect(res.status).toBe(503);
});

it("sends a CSP without 'unsafe-inline': the page's script and styles are allowed by hash, style attributes are hoisted", async () => {
  const key = freshKey();
  const id = uniqueId("csp");
  await call(
    "POST",
    `/v1/sessions/${id}/fragments`,
    key,
    fragment(0, [say("user", "hello", 0), say("assistant", "hi there", 800)]),
  );
  await call("POST", `/v1/sessions/${id}/close`, key, { lastSeq: 0 });
  const res = await call("GET", `/inspect/${id}`, key);
  expect(res.status).toBe(200);
  const csp = res.headers.get("content-security-policy") ?? "";
  expect(csp).not.toContain("unsafe-inline");
  expect(csp).toMatch(/script-src 'sha256-[A-Za-z0-9+/=]+'/);
  const html = await res.text();
  expect(html).not.toMatch(/ style="/);
  expect(html).toMatch(/ data-s="\d+"/);
  const hashOf = async (text: string) =>
    `'sha256-${btoa(String.fromCharCode(...new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)))))}'`;
  for (const [, code] of html.matchAll(/<script>([\s\S]*?)<\/script>/g)) expect(csp).toContain(await hashOf(code!));
  for (const [, code] of html.matchAll(/<style>([\s\S]*?)<\/style>/g)) expect(csp).toContain(await hashOf(code!));
});
