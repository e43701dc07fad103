/**
 * Issue 29 item 4: spans naming a session that was never created (they may leave the SDK before its first
 * fragment) are held without the caller's key, capped at 2,000, by a session object whose alarm ends it 24 h
 * later unless the session is created by then; once it is, they are the session's. Every trace object, a bare
 * link included, has an alarm that ends it too.
 */
import { env, reset, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { configOf } from "../../worker/config.ts";
import type { Env } from "../../worker/env.ts";
import { sessionStub } from "../../worker/session/locate.ts";
import { call, fragment, KEY, sendFragment, tenantOf, uniqueId } from "../support/workerd/api.ts";
import { traceLinkStubOf } from "../support/workerd/inspect-do.ts";
import { naming, newTraceId, postSpans as post, span, storedSpanIds } from "../support/workerd/spans.ts";

afterEach(() => reset());

/** The tables a session object holds (its storage, read in place). */
async function sessionTables(sessionId: string): Promise<string[]> {
  const stub = await sessionObject(sessionId);
  return runInDurableObject(stub, (_instance, state) =>
    state.storage.sql
      .exec<{ name: string }>(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_cf%' ESCAPE '\\'",
      )
      .toArray()
      .map((r) => r.name),
  );
}

const traceObject = (traceId: string) => traceLinkStubOf(traceId, KEY);
const alarmOf = (stub: DurableObjectStub) => runInDurableObject(stub, (_i, state) => state.storage.getAlarm());

async function sessionObject(sessionId: string) {
  return sessionStub(env as unknown as Env, configOf(env as unknown as Env), await tenantOf(KEY), sessionId);
}

describe("spans of a session that was never created", () => {
  it("are held with an alarm that ends the object: at expiry, everything it stored is gone", async () => {
    const id = uniqueId("orphan");
    const traceId = newTraceId();
    expect(await (await post([span(traceId), span(traceId)], { "x-cekura-session-id": id })).json()).toEqual({});
    expect(await sessionTables(id)).toContain("otel_spans");
    const stub = await sessionObject(id);
    const alarm = await alarmOf(stub);
    expect(alarm).not.toBeNull();
    expect(alarm!).toBeLessThanOrEqual(Date.now() + 24 * 3600 * 1000);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await sessionTables(id)).toEqual([]);
    expect(await storedSpanIds(id)).toEqual([]);
    expect((await call("GET", `/v1/sessions/${id}`)).status).toBe(404);
  });

  it("are capped at 2,000 until the session exists (partial success past it)", async () => {
    const id = uniqueId("orphan-cap");
    const traceId = newTraceId();
    const many = Array.from({ length: 2001 }, () => span(traceId));
    const answer = (await (await post(many, { "x-cekura-session-id": id })).json()) as {
      partialSuccess?: { rejectedSpans: string; errorMessage: string };
    };
    expect(answer.partialSuccess?.rejectedSpans).toBe("2001");
    expect(answer.partialSuccess?.errorMessage).toContain("does not exist yet");
    expect(await storedSpanIds(id)).toEqual([]);
  });

  it("reach the session once it exists, which then keeps them on its own schedule", async () => {
    const id = uniqueId("early");
    const traceId = newTraceId();
    const early = [span(traceId), span(traceId)];
    expect(await (await post(early, { "x-cekura-session-id": id })).json()).toEqual({});
    expect((await sendFragment(id, fragment(0, []))).status).toBe(200);
    expect(await storedSpanIds(id)).toEqual(early.map((s) => s.spanId as string).sort());
    // The session's own alarm (idle timeout, 600 s here) replaced the 24-hour one.
    expect((await alarmOf(await sessionObject(id)))!).toBeLessThanOrEqual(Date.now() + 601_000);
  });

  it("one request naming 20 new conversation ids: every session and trace object it created ends by an alarm", async () => {
    const ids = Array.from({ length: 20 }, () => uniqueId("fan"));
    const traces = ids.map(() => newTraceId());
    const res = await post(ids.map((id, i) => span(traces[i]!, naming(id))));
    expect(res.status).toBe(200);
    for (const id of ids) expect(await alarmOf(await sessionObject(id))).not.toBeNull();
    for (const traceId of traces) expect(await alarmOf(await traceObject(traceId))).not.toBeNull();
  });

  it("a trace's link to its session (a session id) ends with the object once nothing is parked", async () => {
    const id = uniqueId("linked");
    expect((await sendFragment(id, fragment(0, []))).status).toBe(200);
    const traceId = newTraceId();
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
