/**
 * Issue 27 defect 4: with INSPECTOR_SECRET unset (or too short) the inspector is closed - every /inspect
 * route answers 503, an API key in `Authorization: Bearer` or `X-CEKURA-API-KEY` included.
 */
import { env, reset } from "cloudflare:test";
import { afterEach, expect, it } from "vitest";
import { createApp } from "../../worker/app.ts";
import type { Env } from "../../worker/env.ts";
import { BASE, call, fragment, freshKey, say, uniqueId } from "./support.ts";

afterEach(() => reset());

const ORIGIN = new URL(BASE).origin;

it.each([
  ["unset", undefined],
  ["empty", ""],
  ["too short", "short-secret"],
])(
  "answers 503 on every /inspect route when INSPECTOR_SECRET is %s, Bearer and X-CEKURA-API-KEY included",
  async (_label, secret) => {
    const key = freshKey();
    const id = uniqueId("closed");
    await call("POST", `/v1/sessions/${id}/fragments`, key, fragment(0, [say("user", "hello", 0)]));
    await call("POST", `/v1/sessions/${id}/close`, key, { lastSeq: 0 });
    const closedEnv = { ...(env as unknown as Env), INSPECTOR_SECRET: secret } as Env;
    const app = createApp();
    const routes: [string, string][] = [
      ["GET", "/inspect"],
      ["GET", `/inspect/${id}`],
      ["GET", `/inspect/${id}/audio.wav`],
      ["GET", "/inspect/not a valid id"],
      ["POST", "/inspect/login"],
      ["POST", "/inspect/logout"],
    ];
    const auths: Record<string, string>[] = [{ authorization: `Bearer ${key}` }, { "x-cekura-api-key": key }, {}];
    for (const [method, path] of routes) {
      for (const auth of auths) {
        const res = await app.request(
          `${BASE}${path}`,
          {
            method,
            headers: { origin: ORIGIN, "content-type": "application/x-www-form-urlencoded", ...auth },
            ...(method === "POST" ? { body: `key=${key}` } : {}),
          },
          closedEnv,
        );
        expect({ method, path, auth: Object.keys(auth)[0], status: res.status }).toEqual({
          method,
          path,
          auth: Object.keys(auth)[0],
          status: 503,
        });
        expect(res.headers.get("set-cookie") ?? "").not.toMatch(/cekura_inspect=[^;]+\./);
        expect(await res.text()).not.toContain("hello");
      }
    }
  },
);
