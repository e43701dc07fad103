/**
 * Abuse limits: the per-tenant request rate limit (Cloudflare's Rate Limiting binding, as miniflare runs
 * it; this test swaps in a strict one of 3 requests a minute), the per-tenant cap on open sessions
 * (MAX_OPEN_SESSIONS_PER_TENANT = 3 in test/privacy/vitest.config.ts), both answered 429 with
 * Retry-After, and a Worker configured like a deployment with no key list refusing data.
 */
import { env, reset } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { createApp } from "../../worker/app.ts";
import type { Env } from "../../worker/env.ts";
import { BASE, call, fragment, freshKey, json, say, uniqueId } from "./support.ts";

afterEach(() => reset());

const workerEnv = env as unknown as Env & { STRICT_TEST_LIMITER: RateLimit };

function post(app: ReturnType<typeof createApp>, bindings: Env, key: string, id: string, seq = 0) {
  return app.request(
    `${BASE}/v1/sessions/${id}/fragments`,
    {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify(fragment(seq, [say("user", "hi", seq * 1000)])),
    },
    bindings,
  );
}

describe("per-tenant request rate limit", () => {
  it("answers 429 with Retry-After once a tenant is past its limit, while another tenant is still served", async () => {
    const app = createApp();
    const strict = {
      ...workerEnv,
      TENANT_RATE_LIMITER: workerEnv.STRICT_TEST_LIMITER,
      TENANT_RATE_LIMIT_PERIOD_SECONDS: "60",
    };
    const key = freshKey();
    const id = uniqueId("rate");
    const statuses: number[] = [];
    for (let seq = 0; seq < 5; seq++) statuses.push((await post(app, strict, key, id, seq)).status);
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    const limited = await post(app, strict, key, id, 9);
    expect(limited.headers.get("retry-after")).toBe("60");
    expect(await json(limited)).toMatchObject({ error: "rate_limited" });
    expect((await post(app, strict, freshKey(), uniqueId("rate-other"))).status).toBe(200);
  });

  it("the binding from wrangler.toml is present and admits normal traffic", async () => {
    expect(typeof workerEnv.TENANT_RATE_LIMITER?.limit).toBe("function");
    expect(
      (await call("POST", `/v1/sessions/${uniqueId("rate-normal")}/fragments`, freshKey(), fragment(0, []))).status,
    ).toBe(200);
  });
});

describe("per-tenant cap on open sessions", () => {
  it("refuses a new session past the cap with 429 and Retry-After, keeps serving open ones, and admits again once one closes", async () => {
    const key = freshKey();
    const ids = [uniqueId("cap-a"), uniqueId("cap-b"), uniqueId("cap-c")];
    for (const id of ids)
      expect(
        (await call("POST", `/v1/sessions/${id}/fragments`, key, fragment(0, [say("user", "hi", 0)]))).status,
      ).toBe(200);
    const fourth = uniqueId("cap-d");
    const refused = await call("POST", `/v1/sessions/${fourth}/fragments`, key, fragment(0, [say("user", "hi", 0)]));
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBe("30");
    expect(await json(refused)).toMatchObject({ error: "too_many_open_sessions" });
    // Audio as the first contact is refused the same way.
    const audio = await call("PUT", `/v1/sessions/${fourth}/audio/0`, key, new Uint8Array(64), {
      "content-type": "application/octet-stream",
      "x-audio-sample-rate": "16000",
      "x-cekura-agent-id": "42",
      "x-cekura-mode": "observe",
    });
    expect(audio.status).toBe(429);
    // Open sessions keep working; another tenant has its own cap.
    expect(
      (await call("POST", `/v1/sessions/${ids[0]}/fragments`, key, fragment(1, [say("user", "more", 1000)]))).status,
    ).toBe(200);
    expect(
      (await call("POST", `/v1/sessions/${uniqueId("cap-other")}/fragments`, freshKey(), fragment(0, []))).status,
    ).toBe(200);

    expect(
      (await json<{ state: string }>(await call("POST", `/v1/sessions/${ids[1]}/close`, key, { lastSeq: 0 }))).state,
    ).toBe("finalized");
    // The slot is freed in the background (waitUntil): retry briefly.
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) {
      status = (await call("POST", `/v1/sessions/${fourth}/fragments`, key, fragment(0, [say("user", "hi", 0)])))
        .status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 20));
    }
    expect(status).toBe(200);
  });
});

describe("a deployment with no key list", () => {
  const app = createApp();
  const deployed = (extra: Partial<Env>) =>
    ({ ...workerEnv, API_KEY_HASHES: "", ALLOW_ANY_KEY: "false", ...extra }) as Env;

  it("refuses data (503 api_keys_not_configured) while API_KEY_HASHES is empty and ALLOW_ANY_KEY is not true", async () => {
    for (const allow of ["false", "", undefined, "yes"]) {
      const res = await post(app, deployed({ ALLOW_ANY_KEY: allow }), freshKey(), uniqueId("open-door"));
      expect({ allow, status: res.status, body: await json(res) }).toMatchObject({
        allow,
        status: 503,
        body: { error: "api_keys_not_configured" },
      });
    }
    const health = await app.request(`${BASE}/healthz`, {}, deployed({}));
    expect(health.status).toBe(200);
  });

  it("accepts data with a key list (that key only) or with ALLOW_ANY_KEY=true set explicitly", async () => {
    const key = freshKey();
    const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(key));
    const hash = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
    expect((await post(app, deployed({ API_KEY_HASHES: hash }), key, uniqueId("listed"))).status).toBe(200);
    expect((await post(app, deployed({ API_KEY_HASHES: hash }), freshKey(), uniqueId("unlisted"))).status).toBe(401);
    expect((await post(app, deployed({ ALLOW_ANY_KEY: "true" }), freshKey(), uniqueId("any"))).status).toBe(200);
  });
});
