/**
 * TenantIndexDO lives where sessions live: with DO_JURISDICTION set, the tenant's index (the list of its
 * session ids) is addressed through the jurisdiction's namespace, with DO_LOCATION_HINT too. workerd does
 * not implement jurisdictions ("not implemented"), so this records the calls made on the binding.
 */
import { env } from "cloudflare:test";
import { expect, it } from "vitest";
import type { Env } from "../../worker/env.ts";
import { recentSessions, registerInTenantIndex } from "../../worker/inspect/tenant-index.ts";

function recordingNamespace(calls: string[]) {
  const stub = {
    register: async (id: string) => void calls.push(`register(${id})`),
    list: async () => (calls.push("list()"), []),
  };
  const namespace = {
    jurisdiction(j: string) {
      calls.push(`jurisdiction(${j})`);
      return namespace;
    },
    idFromName(name: string) {
      calls.push(`idFromName(${name})`);
      return { name };
    },
    get(_id: unknown, options?: { locationHint?: string }) {
      calls.push(`get(${options?.locationHint ?? "-"})`);
      return stub;
    },
  };
  return namespace;
}

it("addresses the tenant index in DO_JURISDICTION with DO_LOCATION_HINT, for registering and for listing", async () => {
  const calls: string[] = [];
  const eu = {
    ...(env as unknown as Env),
    DO_JURISDICTION: "eu",
    DO_LOCATION_HINT: "weur",
    TENANT_INDEX: recordingNamespace(calls),
  } as unknown as Env;
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
  const plain = {
    ...(env as unknown as Env),
    DO_JURISDICTION: "",
    DO_LOCATION_HINT: "",
    TENANT_INDEX: recordingNamespace(calls),
  } as unknown as Env;
  await registerInTenantIndex(plain, "tenant-y", "s-2", Date.now());
  expect(calls).toEqual(["idFromName(tenant-y)", "get(-)", "register(s-2)"]);
});
