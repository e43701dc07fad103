/**
 * Issue 29 item 4: spans naming a session that was never created are kept in no session object (which
 * would have no alarm, no retention and no open-session slot, and would hold the tenant's key): they wait,
 * capped, in their trace's object, whose alarm ends it, and reach the session once it exists. Every trace
 * object, a bare link included, has an alarm that ends it.
 */
import { env, reset, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { configOf } from "../../worker/config.ts";
import type { Env } from "../../worker/env.ts";
import { sessionStub } from "../../worker/session/locate.ts";
import { call, fragment, KEY, sendFragment, tenantOf, uniqueId } from "../support/workerd/api.ts";

afterEach(() => reset());

const NOW_NS = BigInt(Date.UTC(2026, 10, 25, 12)) * 1_000_000n;
const hex = (bytes: number) =>
  [...crypto.getRandomValues(new Uint8Array(bytes))].map((b) => b.toString(16).padStart(2, "0")).join("");

type Span = Record<string, unknown>;
const span = (traceId: string, extra: Span = {}): Span => ({
  traceId,
  spanId: hex(8),
  name: "stt",
  startTimeUnixNano: String(NOW_NS),
  endTimeUnixNano: String(NOW_NS + 1_000_000n),
  ...extra,
});
const naming = (sessionId: string) => ({ attributes: [{ key: "conversation.id", value: { stringValue: sessionId } }] });
const post = (spans: Span[], headers: Record<string, string> = {}) =>
  call("POST", "/v1/traces", { resourceSpans: [{ scopeSpans: [{ scope: { name: "t" }, spans }] }] }, KEY, {
    "content-type": "application/json",
    ...headers,
  });

/** The tables a session object holds (its storage, read in place). */
async function sessionTables(sessionId: string): Promise<string[]> {
  const stub = sessionStub(env as unknown as Env, configOf(env as unknown as Env), await tenantOf(KEY), sessionId);
  return runInDurableObject(stub, (_instance, state) =>
    state.storage.sql
      .exec<{ name: string }>(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_cf%' ESCAPE '\\'",
      )
      .toArray()
      .map((r) => r.name),
  );
}

async function traceObject(traceId: string) {
  return env.TRACE_LINKS.get(env.TRACE_LINKS.idFromName(`${await tenantOf(KEY)}:${traceId}`));
}
const alarmOf = (stub: DurableObjectStub) => runInDurableObject(stub, (_i, state) => state.storage.getAlarm());

async function storedSpanIds(sessionId: string): Promise<string[]> {
  const res = await call("GET", `/v1/traces/${sessionId}`);
  const body = (await res.json()) as { resourceSpans: { scopeSpans: { spans: { spanId: string }[] }[] }[] };
  return body.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans.map((x) => x.spanId))).sort();
}

describe("spans of a session that was never created", () => {
  it("are stored in no session object (no spans, no otel_state and so no key); they wait in the trace's object and reach the session once it exists", async () => {
    const id = uniqueId("orphan");
    const traceId = hex(16);
    const early = [span(traceId), span(traceId)];
    expect((await post(early, { "x-cekura-session-id": id })).status).toBe(200);
    expect(await sessionTables(id)).toEqual([]);
    expect((await call("GET", `/v1/sessions/${id}`)).status).toBe(404);
    const trace = await traceObject(traceId);
    expect(await trace.parkedCount()).toBe(2);
    expect(await alarmOf(trace)).not.toBeNull();

    // The session comes into being; the trace's next span naming it (the SDK's conversation span, which ends
    // last) brings the parked ones along.
    expect((await sendFragment(id, fragment(0, []))).status).toBe(200);
    const later = span(traceId, naming(id));
    expect(await (await post([later], { "x-cekura-session-id": id })).json()).toEqual({});
    expect(await storedSpanIds(id)).toEqual([...early, later].map((s) => s.spanId as string).sort());
    expect(await trace.parkedCount()).toBe(0);
  });

  it("one request naming 20 new conversation ids creates no session storage, and every trace object it touched ends by an alarm", async () => {
    const ids = Array.from({ length: 20 }, () => uniqueId("fan"));
    const traces = ids.map(() => hex(16));
    const res = await post(ids.map((id, i) => span(traces[i]!, naming(id))));
    expect(res.status).toBe(200);
    for (const id of ids) expect(await sessionTables(id)).toEqual([]);
    for (const traceId of traces) expect(await alarmOf(await traceObject(traceId))).not.toBeNull();
  });

  it("a trace's link to its session (a session id) ends with the object once nothing is parked", async () => {
    const id = uniqueId("linked");
    expect((await sendFragment(id, fragment(0, []))).status).toBe(200);
    const traceId = hex(16);
    const named = span(traceId, naming(id));
    expect(await (await post([named])).json()).toEqual({});
    expect(await storedSpanIds(id)).toEqual([named.spanId]);
    const trace = await traceObject(traceId);
    expect(await alarmOf(trace)).not.toBeNull();
    expect(await runDurableObjectAlarm(trace)).toBe(true);
    const left = await runInDurableObject(trace, (_i, state) =>
      state.storage.sql
        .exec<{ name: string }>(
          "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_cf%' ESCAPE '\\'",
        )
        .toArray(),
    );
    expect(left).toEqual([]);
    // A later span of the trace links it again and still lands in the session.
    const again = span(traceId, naming(id));
    expect(await (await post([again])).json()).toEqual({});
    expect(await storedSpanIds(id)).toEqual([named.spanId, again.spanId].sort());
  });
});
