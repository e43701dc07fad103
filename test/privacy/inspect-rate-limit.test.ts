/**
 * Issue 29 item 9: the inspector's pages are rate-limited per client IP (INSPECT_RATE_LIMITER; this test
 * swaps in a strict one of 3 a minute): past the limit 429 with Retry-After and a JSON {error, detail};
 * another address is still served; recording range reads are not counted.
 */
import { env, reset } from "cloudflare:test";
import { afterEach, expect, it } from "vitest";
import { createApp } from "../../worker/app.ts";
import type { Env } from "../../worker/env.ts";
import { BASE, json } from "./support.ts";

afterEach(() => reset());

const workerEnv = env as unknown as Env & { STRICT_TEST_LIMITER: RateLimit };

it("answers 429 past the inspector's limit for one address while another address is still served", async () => {
  const app = createApp();
  const strict = { ...workerEnv, INSPECT_RATE_LIMITER: workerEnv.STRICT_TEST_LIMITER };
  const ip = `198.51.100.${Math.floor(Math.random() * 200) + 1}`;
  const get = (path: string, from = ip) =>
    app.request(`${BASE}${path}`, { headers: { "cf-connecting-ip": from } }, strict);
  // Recording ranges first: never counted.
  for (let i = 0; i < 5; i++) expect((await get("/inspect/s-1/audio.wav")).status).not.toBe(429);
  const statuses: number[] = [];
  for (const path of ["/inspect", "/inspect/s-1", "/inspect", "/inspect", "/inspect/s-2"])
    statuses.push((await get(path)).status);
  expect(statuses.slice(0, 3)).not.toContain(429);
  expect(statuses.slice(3)).toEqual([429, 429]);
  const limited = await get("/inspect");
  expect(limited.headers.get("retry-after")).toBe("60");
  expect(await json(limited)).toMatchObject({ error: "rate_limited" });
  expect((await get("/inspect", "203.0.113.9")).status).not.toBe(429);
});

it("the binding from wrangler.toml is present", () => {
  expect(typeof (workerEnv as Env).INSPECT_RATE_LIMITER?.limit).toBe("function");
});
