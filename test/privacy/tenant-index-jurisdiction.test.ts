/**
 * TenantIndexDO lives where sessions live: with DO_JURISDICTION set, the tenant's index (the list of its
 * session ids) is addressed through the jurisdiction's namespace, with DO_LOCATION_HINT too. workerd does
 * not implement jurisdictions ("not implemented"), so this records the calls made on the binding.
 */
import { env } from "cloudflare:test";
import { expect, it } from "vitest";
import type { Env } from "../../worker/env.ts";
import { recentSessions, registerInTenantIndex } from "../../worker/inspect/tenant-index.ts";
import { recordingNamespace } from "../support/workerd/recording-namespace.ts";

/** The Worker's bindings with these placement settings, and a tenant index that records every call made on it. */
function placed(placement: { DO_JURISDICTION: string; DO_LOCATION_HINT: string }, calls: string[]): Env {
  const index = {
    register: async (id: string) => void calls.push(`register(${id})`),
    list: async () => (calls.push("list()"), []),
  };
  return { ...(env as unknown as Env), ...placement, TENANT_INDEX: recordingNamespace(calls, index) } as unknown as Env;
}

it("addresses the tenant index in DO_JURISDICTION with DO_LOCATION_HINT, for registering and for listing", async () => {
  const calls: string[] = [];
  const eu = placed({ DO_JURISDICTION: "eu", DO_LOCATION_HINT: "weur" }, calls);
  await registerInTenantIndex(eu, "tenant-x", "s-1", Date.now());
  await recentSessions(eu, "tenant-x", 10);
  expect(calls).toEqual([
    "jurisdiction(eu)",
    "idFromName(tenant-x)",
    "get(weur)",
    "register(s-1)",
    "jurisdiction(eu)",
    "idFromName(tenant-x)",
    "get(weur)",
    "list()",
  ]);
});

it("uses the plain namespace when no jurisdiction is configured", async () => {
  const calls: string[] = [];
  const plain = placed({ DO_JURISDICTION: "", DO_LOCATION_HINT: "" }, calls);
  await registerInTenantIndex(plain, "tenant-y", "s-2", Date.now());
  expect(calls).toEqual(["idFromName(tenant-y)", "get(-)", "register(s-2)"]);
});
