import { env, reset } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { createApp } from "../../worker/app.ts";
import { readConfig } from "../../worker/config.ts";
import type { Env } from "../../worker/env.ts";
import { sessionStub } from "../../worker/session/locate.ts";
import { BASE, fragment, KEY, say, uniqueId } from "../support/workerd/api.ts";
import { recordingNamespace } from "../support/workerd/recording-namespace.ts";

afterEach(() => reset());

describe("placement: jurisdiction and location hint", () => {
  it("serves sessions with a location hint configured (workerd accepts and ignores the hint locally)", async () => {
    const app = createApp();
    const hinted = { ...env, DO_LOCATION_HINT: "weur" };
    const id = uniqueId();
    const res = await app.request(
      `${BASE}/v1/sessions/${id}/fragments`,
      {
        method: "POST",
        headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
        body: JSON.stringify(fragment(0, [say("user", "bonjour", 0)])),
      },
      hinted,
    );
    expect(res.status).toBe(200);
    const status = await app.request(
      `${BASE}/v1/sessions/${id}`,
      { headers: { authorization: `Bearer ${KEY}` } },
      hinted,
    );
    expect(status.status).toBe(200);
  });

  it("asks the platform for the configured jurisdiction's namespace and passes the location hint", () => {
    const calls: string[] = [];
    const SESSIONS = recordingNamespace(calls, {});
    const bindings = { ...env, SESSIONS, DO_JURISDICTION: "eu", DO_LOCATION_HINT: "weur" } as unknown as Env;
    sessionStub(bindings, readConfig(bindings), "tenant", "call-1");
    expect(calls).toEqual(["jurisdiction(eu)", "idFromName(tenant:call-1)", "get(weur)"]);
  });

  it("rejects configuration values it cannot honour, naming the variable", () => {
    expect(() => readConfig({ ...env, SESSION_IDLE_TIMEOUT_SECONDS: "soon" } as never)).toThrow(
      /SESSION_IDLE_TIMEOUT_SECONDS/,
    );
    expect(() => readConfig({ ...env, DO_JURISDICTION: "mars" } as never)).toThrow(/DO_JURISDICTION must be one of eu/);
    expect(() => readConfig({ ...env, DO_LOCATION_HINT: "moon" } as never)).toThrow(/DO_LOCATION_HINT/);
  });
});
