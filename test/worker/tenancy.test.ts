import { env, reset } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { createApp } from "../../worker/app.ts";
import {
  BASE,
  call,
  closeSession,
  fragment,
  getRecord,
  getStatus,
  KEY,
  OTHER_KEY,
  say,
  sendFragment,
  tenantOf,
  uniqueId,
} from "../support/workerd/api.ts";

afterEach(() => reset());

describe("tenancy and auth", () => {
  it("rejects requests without an API key with 401", async () => {
    const res = await call("POST", `/v1/sessions/${uniqueId()}/fragments`, fragment(0), null);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: "missing_api_key" });
  });

  it("accepts the key in X-CEKURA-API-KEY as well as Authorization: Bearer", async () => {
    const id = uniqueId();
    expect(
      (await call("POST", `/v1/sessions/${id}/fragments`, fragment(0), null, { "x-cekura-api-key": KEY })).status,
    ).toBe(200);
    expect((await getStatus(id, KEY)).status).toBe(200);
  });

  it("another API key can neither read nor write the session: it does not exist for that key", async () => {
    const id = uniqueId();
    await sendFragment(id, fragment(0, [say("user", "secret", 0)]));
    expect((await getStatus(id, OTHER_KEY)).status).toBe(404);
    // A write with the other key lands in the other tenant's own session, never in this one.
    expect((await sendFragment(id, fragment(1, [say("user", "intruder", 100)]), OTHER_KEY)).status).toBe(200);
    await closeSession(id, { lastSeq: 0 });
    expect((await getRecord(id, OTHER_KEY)).status).toBe(409);
    const record = (await (await getRecord(id)).json()) as { transcript: { text: string }[] };
    expect(record.transcript.map((t) => t.text)).toEqual(["secret"]);
  });

  it("with an allow-list configured, rejects unknown keys with 401 and admits listed ones", async () => {
    const app = createApp();
    const allowListed = { ...env, API_KEY_HASHES: `  ${(await tenantOf(KEY)).toUpperCase()} , deadbeef` };
    const unknown = await app.request(
      `${BASE}/v1/sessions/${uniqueId()}`,
      { headers: { authorization: `Bearer ${OTHER_KEY}` } },
      allowListed,
    );
    expect(unknown.status).toBe(401);
    expect(await unknown.json()).toMatchObject({ error: "unknown_api_key" });
    const id = uniqueId();
    const admitted = await app.request(
      `${BASE}/v1/sessions/${id}/fragments`,
      {
        method: "POST",
        headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
        body: JSON.stringify(fragment(0)),
      },
      allowListed,
    );
    expect(admitted.status).toBe(200);
  });

  it("healthz needs no key", async () => {
    const res = await call("GET", "/healthz", undefined, null);
    expect(res.status).toBe(200);
  });
});
