/**
 * Issue 29 item 6: a session id (maybe a phone number or an email) must not outlive its erasure or its
 * retention, neither in a trace's own object (trace_link.session_id) nor in the tenant's index.
 * RETENTION_DAYS = 1 here (test/privacy/vitest.config.ts).
 */
import { abortAllDurableObjects, env as testEnv, reset, runDurableObjectAlarm } from "cloudflare:test";
import { afterEach, expect, it } from "vitest";
import type { Env } from "../../worker/env.ts";
import { tenantIndexStub } from "../../worker/privacy/open-sessions.ts";
import { dumpTraceLink as traceObjectText, stubOf, tenantOfKey } from "../support/workerd/inspect-do.ts";
import { editStoredMeta } from "../support/workerd/session-do.ts";
import { call, fragment, freshKey, hex, say, spanRequest, uniqueId } from "./support.ts";

const env = testEnv as unknown as Env;
const DAY = 24 * 3600 * 1000;

afterEach(() => reset());

async function indexedIds(key: string): Promise<string[]> {
  const list = await tenantIndexStub(env, await tenantOfKey(key))!.list(100);
  return list.map((s) => s.sessionId);
}

/** A session with a span of trace `traceId` (linked to it by conversation.id), then a parked one of the same trace. */
async function sessionWithTrace(key: string, id: string, traceId: string): Promise<void> {
  expect((await call("POST", `/v1/sessions/${id}/fragments`, key, fragment(0, [say("user", "hi", 0)]))).status).toBe(
    200,
  );
  expect((await call("POST", "/v1/traces", key, spanRequest(id, "x", traceId))).status).toBe(200);
  expect(await traceObjectText(traceId, key)).toContain(id);
}

it("erasure leaves no session id in its traces' objects, and none in the tenant index", async () => {
  const key = freshKey();
  const id = uniqueId("+44-20-7946-0018");
  const traceId = hex(32);
  await sessionWithTrace(key, id, traceId);
  expect(await indexedIds(key)).toContain(id);
  expect((await call("DELETE", `/v1/sessions/${id}`, key)).status).toBe(200);
  await abortAllDurableObjects();
  expect(await traceObjectText(traceId, key)).not.toContain(id);
  expect(await indexedIds(key)).not.toContain(id);
  // Later spans of the trace are still not kept.
  const late = spanRequest(id, "late", traceId);
  late.resourceSpans[0]!.scopeSpans[0]!.spans[0]!.attributes.shift();
  expect((await call("POST", "/v1/traces", key, late)).status).toBe(200);
  expect(await traceObjectText(traceId, key)).not.toContain("late");
});

it("an abort does not write the session id into a trace's object (forget() used to create the link)", async () => {
  const key = freshKey();
  const id = uniqueId("jane@example.com");
  const traceId = hex(32);
  await sessionWithTrace(key, id, traceId);
  expect((await call("POST", `/v1/sessions/${id}/abort`, key, {})).status).toBe(200);
  expect(await traceObjectText(traceId, key)).not.toContain(id);
});

it("an aborted (or discarded) call's id leaves the tenant index when its tombstone expires by retention", async () => {
  const key = freshKey();
  const id = uniqueId("aborted");
  expect((await call("POST", `/v1/sessions/${id}/fragments`, key, fragment(0, [say("user", "bye", 0)]))).status).toBe(
    200,
  );
  expect((await call("POST", `/v1/sessions/${id}/abort`, key, {})).status).toBe(200);
  await abortAllDurableObjects();
  expect(await indexedIds(key)).toContain(id);
  await editStoredMeta(id, (meta) => void (meta.destroyedAt -= DAY + 60_000), key);
  await abortAllDurableObjects();
  await runDurableObjectAlarm(await stubOf(id, key));
  expect(await indexedIds(key)).not.toContain(id);
});
