/**
 * Spans that arrive before anything names their session wait ("park") in their trace's own Durable
 * Object (TraceLinkDO): they expire, are capped by bytes, are deleted with an aborted or discarded
 * session, and a hand-over to the session never loses them.
 */
import { reset, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { call, closeSession, fragment, KEY, say, sendFragment, uniqueId } from "../support/workerd/api.ts";
import { gzip } from "../support/gzip.ts";
import { traceLinkStubOf } from "../support/workerd/inspect-do.ts";
import {
  naming,
  newTraceId,
  NOW_NS,
  postSpans as post,
  span,
  storedSpanIds,
  type Span,
} from "../support/workerd/spans.ts";

afterEach(() => reset());

const traceObject = (traceId: string) => traceLinkStubOf(traceId, KEY);

describe("parked spans", () => {
  it("live in the trace's own TraceLinkDO, not in a session object, and expire 24 hours after they parked", async () => {
    const traceId = newTraceId();
    const parked = span(traceId);
    expect(await (await post([parked])).json()).toEqual({});
    const trace = await traceObject(traceId);
    expect(await trace.parkedCount()).toBe(1);

    // An early alarm keeps them; once they are older than 24 h the alarm deletes them.
    expect(await runDurableObjectAlarm(trace)).toBe(true);
    expect(await trace.parkedCount()).toBe(1);
    // (The early alarm re-armed itself for the span's expiry; make the span 24 h old.)
    await runInDurableObject(trace, (_instance, state) => {
      state.storage.sql.exec("UPDATE parked SET parked_at = parked_at - ?", 24 * 3600 * 1000 + 1);
    });
    expect(await runDurableObjectAlarm(trace)).toBe(true);
    expect(await trace.parkedCount()).toBe(0);
    // Nothing is left to expire: no alarm stays armed.
    expect(await runInDurableObject(trace, (_i, state) => state.storage.getAlarm())).toBeNull();

    // Naming the session later finds nothing of the expired span.
    const id = uniqueId();
    await post([span(traceId, naming(id))]);
    expect(await storedSpanIds(id)).not.toContain(parked.spanId);
  });

  it("are capped by bytes per trace, with a partial-success message that names the cap", async () => {
    const traceId = newTraceId();
    const big = (n: number) =>
      Array.from({ length: n }, () =>
        span(traceId, { attributes: [{ key: "blob", value: { stringValue: "x".repeat(200 * 1024) } }] }),
      );
    const first = (await (await post(big(15))).json()) as Record<string, unknown>;
    expect(first).toEqual({});
    const second = (await (await post(big(10))).json()) as {
      partialSuccess: { rejectedSpans: string; errorMessage: string };
    };
    expect(Number(second.partialSuccess.rejectedSpans)).toBeGreaterThan(0);
    expect(second.partialSuccess.errorMessage).toMatch(/parks at most 4194304 bytes/);
    const total = await (await traceObject(traceId)).parkedCount();
    expect(total).toBe(15 + 10 - Number(second.partialSuccess.rejectedSpans));
    expect(total * 200 * 1024).toBeLessThanOrEqual(4 * 1024 * 1024);
  });

  it("refuses spans whose resource JSON (kept with every span row) is over 32 KiB", async () => {
    const id = uniqueId();
    const resource = { attributes: [{ key: "huge", value: { stringValue: "r".repeat(40 * 1024) } }] };
    const answer = (await (await post([span(newTraceId(), naming(id))], {}, resource)).json()) as {
      partialSuccess: { rejectedSpans: string; errorMessage: string };
    };
    expect(answer.partialSuccess).toEqual({
      rejectedSpans: "1",
      errorMessage: expect.stringContaining("resource's JSON exceeds 32768 bytes"),
    });
    expect(await storedSpanIds(id)).toEqual([]);
  });

  it("are deleted when the session that holds spans of their trace is aborted, and later spans of that trace are refused", async () => {
    const id = uniqueId();
    const traceId = newTraceId();
    await sendFragment(id, fragment(0, [say("user", "hi", 0)]));
    const own = span(traceId);
    expect(await (await post([own], { "x-cekura-session-id": id })).json()).toEqual({});
    const waiting = span(traceId, { attributes: [{ key: "secret", value: { stringValue: "parked-secret" } }] });
    expect(await (await post([waiting])).json()).toEqual({});
    const trace = await traceObject(traceId);
    expect(await trace.parkedCount()).toBe(1);

    expect((await call("POST", `/v1/sessions/${id}/abort`, {})).status).toBe(200);
    expect(await trace.parkedCount()).toBe(0);
    const dump = await runInDurableObject(trace, (_i, state) =>
      JSON.stringify(state.storage.sql.exec("SELECT * FROM parked").toArray()),
    );
    expect(dump).not.toContain("parked-secret");

    const late = (await (await post([span(traceId)])).json()) as {
      partialSuccess?: { rejectedSpans: string; errorMessage: string };
    };
    expect(late.partialSuccess?.rejectedSpans).toBe("1");
    expect(late.partialSuccess?.errorMessage).toContain("was aborted");
    expect(await trace.parkedCount()).toBe(0);
  });

  it("are deleted when a deferred session is closed without consent (discarded)", async () => {
    const id = uniqueId();
    const traceId = newTraceId();
    await sendFragment(id, fragment(0, [say("user", "hi", 0)], { deferUpload: true }));
    await post([span(traceId)], { "x-cekura-session-id": id });
    await post([span(traceId)]);
    const trace = await traceObject(traceId);
    expect(await trace.parkedCount()).toBe(1);
    const closed = (await (await closeSession(id, { lastSeq: 0 })).json()) as { state: string };
    expect(closed.state).toBe("discarded");
    expect(await trace.parkedCount()).toBe(0);
  });

  it("stay parked when a link is not followed by the session storing them, and the next request hands them over", async () => {
    const id = uniqueId();
    const traceId = newTraceId();
    const early = [span(traceId), span(traceId)];
    await post(early);
    const trace = await traceObject(traceId);
    // The first step of a hand-over alone (as if the Worker died before the session stored them).
    const linked = await trace.link(id);
    expect(linked.parked.map((p) => p.spanId).sort()).toEqual(early.map((s) => s.spanId).sort());
    expect(await trace.parkedCount()).toBe(2);
    expect(await storedSpanIds(id)).toEqual([]);

    // The next span of the trace (no session named: the link routes it) brings the parked ones along.
    const next = span(traceId);
    expect(await (await post([next])).json()).toEqual({});
    expect(await storedSpanIds(id)).toEqual([...early, next].map((s) => s.spanId as string).sort());
    expect(await trace.parkedCount()).toBe(0);
  });
});

describe("span times and per-session caps", () => {
  it("rejects spans dated outside 2000..2100 (year 9999, 20 digits, end before start) with a clear partial success, and the call page still renders", async () => {
    const id = uniqueId();
    await sendFragment(id, fragment(0, [say("user", "hi", 0)]));
    const traceId = newTraceId();
    const good = span(traceId, naming(id));
    const year9999 = span(traceId, { endTimeUnixNano: String(BigInt(Date.UTC(9999, 0, 1)) * 1_000_000n) });
    const twentyDigits = span(traceId, { endTimeUnixNano: "18446744073709551615" });
    const epoch = span(traceId, { startTimeUnixNano: "1", endTimeUnixNano: "2" });
    const backwards = span(traceId, { startTimeUnixNano: String(NOW_NS), endTimeUnixNano: String(NOW_NS - 1n) });
    const res = await post([good, year9999, twentyDigits, epoch, backwards]);
    expect(res.status).toBe(200);
    const answer = (await res.json()) as { partialSuccess: { rejectedSpans: string; errorMessage: string } };
    expect(answer.partialSuccess.rejectedSpans).toBe("4");
    expect(answer.partialSuccess.errorMessage).toContain("between 2000-01-01 and 2100-01-01");
    expect(answer.partialSuccess.errorMessage).toContain("must not be before");
    expect(await storedSpanIds(id)).toEqual([good.spanId]);
    await closeSession(id, { lastSeq: 0 });
    const page = await call("GET", `/inspect/${id}`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('class="bar stt"');
  });

  it("answers 413 naming the cap once a session holds 24 MiB of spans, keeping what it stored", async () => {
    const id = uniqueId();
    await sendFragment(id, fragment(0, [])); // a session that does not exist yet holds at most 2,000 spans
    const traceId = newTraceId();
    const blob = "y".repeat(250 * 1024 - 400);
    const batch = () =>
      Array.from({ length: 40 }, () =>
        span(traceId, { attributes: [...naming(id).attributes, { key: "blob", value: { stringValue: blob } }] }),
      );
    const send = async (spans: Span[]) =>
      call("POST", "/v1/traces", await gzip(JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans }] }] })), KEY, {
        "content-type": "application/json",
        "content-encoding": "gzip",
      });
    for (let i = 0; i < 2; i++) expect((await send(batch())).status).toBe(200);
    const over = await send(batch());
    expect(over.status).toBe(413);
    const body = (await over.json()) as { error: string; detail: string };
    expect(body.error).toBe("session_limit_exceeded");
    expect(body.detail).toContain("bytesPerSession");
    expect(body.detail).toContain(String(24 * 1024 * 1024));
    const stored = await storedSpanIds(id);
    expect(stored.length).toBeGreaterThanOrEqual(80);
    expect(stored.length).toBeLessThan(120);
  });

  it("answers 413 naming the cap past 20,000 spans in one session", async () => {
    const id = uniqueId();
    await sendFragment(id, fragment(0, [])); // a session that does not exist yet holds at most 2,000 spans
    const traceId = newTraceId();
    const send = (n: number) =>
      post(
        Array.from({ length: n }, () => span(traceId)),
        { "x-cekura-session-id": id },
      );
    for (let i = 0; i < 4; i++) expect((await send(5000)).status).toBe(200);
    const over = await send(3);
    expect(over.status).toBe(413);
    expect(await over.json()).toEqual({
      error: "session_limit_exceeded",
      detail: expect.stringContaining("spansPerSession = 20000"),
    });
  }, 120_000);
});
