/**
 * OTel traces against the real local Worker (wrangler dev on workerd) and the Cekura stand-in, both on
 * 127.0.0.1: the official OTLP exporter (Node, gzip) is accepted; the SDK's scripted call shows the
 * same span tree at the Worker and at the stand-in's /v1/traces, linked to the record and to the
 * forwarded call by trace id; a deferred-then-aborted session's spans never leave the Worker.
 */
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { SimpleSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import { ROOT_CONTEXT, trace } from "@opentelemetry/api";
import { beforeAll, describe, expect, it } from "vitest";
import { checkScriptedTree, comparableTree, scriptedCall, spansOf, workerSpans } from "../sdk/cases/otel.ts";
import type { CaseContext } from "../sdk/cases/types.ts";
import { recordingProxy } from "./recording-proxy.ts";
import { api, KEY, sampleFragment, sessionId, useForwardHarness } from "../support/forward-harness.ts";

const h = useForwardHarness();
let ctx: CaseContext;
beforeAll(() => {
  ctx = { runtime: "node", ingestUrl: h.worker.url, apiKey: KEY, agentId: 42, uid: crypto.randomUUID().slice(0, 8) };
});

const tree = comparableTree;

const forwardedSpans = (traceId: string) =>
  spansOf(...h.standIn.traces().map((r) => r.body)).filter((s) => s.traceId === traceId);

describe("OTel traces through the Worker", () => {
  it("accepts what the official @opentelemetry/exporter-trace-otlp-http sends from Node, gzip included, and forwards it", async () => {
    const id = sessionId("otel-official");
    expect((await h.api().fragment(id, sampleFragment("observe"))).status).toBe(200);
    const proxy = await recordingProxy(h.worker.url);
    try {
      const exporter = new OTLPTraceExporter({
        url: `${proxy.url}/v1/traces`,
        // No session header: SimpleSpanProcessor sends each span alone, the llm span (no conversation.id) first;
        // the Worker parks it until the turn span names the session.
        headers: { authorization: `Bearer ${KEY}` },
        // CompressionAlgorithm.GZIP ("gzip"); the enum lives in a transitive package.
        compression: "gzip" as never,
      });
      const provider = new TracerProvider({
        resource: resourceFromAttributes({ "service.name": "official-exporter" }),
        spanProcessors: [new SimpleSpanProcessor({ exporter })],
      });
      const tracer = provider.getTracer("test");
      const conversation = tracer.startSpan("conversation", {
        attributes: { "conversation.id": id, "conversation.type": "voice" },
      });
      const turn = tracer.startSpan(
        "turn",
        { attributes: { "conversation.id": id, "turn.number": 1 } },
        trace.setSpan(ROOT_CONTEXT, conversation),
      );
      const llm = tracer.startSpan(
        "llm",
        { attributes: { "gen_ai.request.model": "gpt-4o", "gen_ai.usage.input_tokens": 7 } },
        trace.setSpan(ROOT_CONTEXT, turn),
      );
      llm.end();
      turn.end();
      conversation.end();
      await provider.forceFlush();
      await provider.shutdown();
    } finally {
      proxy.server.close();
    }
    expect(proxy.seen.length).toBeGreaterThan(0);
    expect(proxy.seen.every((r) => r.contentEncoding === "gzip")).toBe(true);

    const atWorker = await workerSpans(ctx, id);
    expect(atWorker.spans.map((s) => s.name).sort()).toEqual(["conversation", "llm", "turn"]);
    const traceId = atWorker.spans[0]!.traceId;
    expect(atWorker.traceId).toBe(traceId);
    await h.standIn.waitFor(() => forwardedSpans(traceId).length === 3);
    expect(tree(forwardedSpans(traceId))).toEqual(tree(atWorker.spans));
    const sent = h.standIn.traces().find((r) => spansOf(r.body).some((s) => s.traceId === traceId))!;
    expect(sent.apiKey).toBe(KEY);
    expect(sent.agentIdHeader).toBe("42");
  });

  it("shows the SDK's scripted call as the same span tree at the Worker and at the stand-in, linked to record and call by trace id", async () => {
    const cekura = h.tracer({ onError: (e) => errors.push(e) });
    const errors: Error[] = [];
    const s = cekura.observe({ sessionId: sessionId("otel-sdk"), additionalSpanAttributes: { deployment: "suite" } });
    await scriptedCall(s);
    await s.close({ reason: "customer-ended-call" });
    expect(errors).toEqual([]);
    const atWorker = await workerSpans(ctx, s.id);
    const traceId = checkScriptedTree(atWorker.spans, s.id);
    await h.standIn.waitFor(() => forwardedSpans(traceId).length === atWorker.spans.length);
    checkScriptedTree(forwardedSpans(traceId), s.id);
    expect(tree(forwardedSpans(traceId))).toEqual(tree(atWorker.spans));
    expect((await h.api().record(s.id)).json.traceId).toBe(traceId);
    await h.standIn.waitFor(() => h.standIn.calls().some((c) => (c.body as { call_id?: string }).call_id === s.id));
    const call = h.standIn.calls().find((c) => (c.body as { call_id?: string }).call_id === s.id)!;
    expect((call.body as { trace_id?: string }).trace_id).toBe(traceId);
  });

  it("never forwards the spans of a deferred session that is aborted, and forwards a deferred one once consent is given", async () => {
    const cekura = h.tracer();
    const aborted = cekura.observe({ sessionId: sessionId("otel-aborted"), deferUpload: true });
    const granted = cekura.observe({ sessionId: sessionId("otel-granted"), deferUpload: true });
    for (const s of [aborted, granted]) {
      s.transcript({ role: "user", text: "held until consent" });
      const turn = s.startTurn();
      turn.stt({ provider: "deepgram", model: "nova-3" }).text("held until consent").end();
      turn.end();
      await s.flush();
    }
    const abortedHeld = await workerSpans(ctx, aborted.id);
    expect(abortedHeld.spans.map((s) => s.name).sort()).toEqual(["stt", "turn"]);
    const grantedHeld = await workerSpans(ctx, granted.id);
    expect(grantedHeld.spans.length).toBe(2);

    await aborted.abort();
    expect((await workerSpans(ctx, aborted.id)).spans).toEqual([]);

    // Consent, then close: the granted session's spans (and its conversation span) leave the Worker.
    await granted.startAudioUpload();
    await granted.close();
    const grantedTrace = grantedHeld.spans[0]!.traceId;
    await h.standIn.waitFor(() => forwardedSpans(grantedTrace).length === 3);
    expect(forwardedSpans(abortedHeld.spans[0]!.traceId)).toEqual([]);
    const everyForwarded = spansOf(...h.standIn.traces().map((r) => r.body));
    const abortedIds = new Set(abortedHeld.spans.map((s) => s.spanId));
    expect(everyForwarded.filter((s) => abortedIds.has(s.spanId))).toEqual([]);
  });

  it("retries span forwarding after a 503 with Retry-After and delivers each span once", async () => {
    h.standIn.plan({ endpoint: "traces", status: 503, retryAfter: 1 });
    const s = h.tracer().observe({ sessionId: sessionId("otel-retry") });
    const turn = s.startTurn();
    turn.llm({ provider: "openai", model: "gpt-4o" }).text("hello").end();
    turn.end();
    s.transcript({ role: "assistant", text: "hello" });
    await s.close();
    const atWorker = await workerSpans(ctx, s.id);
    const traceId = atWorker.spans[0]!.traceId;
    await h.standIn.waitFor(() => forwardedSpans(traceId).length >= 3);
    const refused = h.standIn.received.filter((r) => r.endpoint === "traces" && r.answer?.status === 503);
    expect(refused.length).toBeGreaterThanOrEqual(1);
    expect(tree(forwardedSpans(traceId))).toEqual(tree(atWorker.spans));
  });

  it("holds spans that arrive before the session's first fragment and forwards them once the session exists", async () => {
    const id = sessionId("otel-early");
    const traceId = crypto.randomUUID().replaceAll("-", "");
    const span = {
      traceId,
      spanId: "1234567890abcdef",
      name: "conversation",
      kind: 1,
      startTimeUnixNano: "1795615521843000000",
      endTimeUnixNano: "1795615521844000000",
      attributes: [{ key: "conversation.id", value: { stringValue: id } }],
    };
    const early = { resource: { attributes: [] }, scopeSpans: [{ scope: { name: "early" }, spans: [span] }] };
    expect((await h.api().traces({ resourceSpans: [early] })).json).toEqual({});
    expect((await workerSpans(ctx, id)).spans).toHaveLength(1);
    expect(forwardedSpans(traceId)).toEqual([]);
    expect((await h.api().fragment(id, sampleFragment("observe"))).status).toBe(200);
    await h.standIn.waitFor(() => forwardedSpans(traceId).length === 1);
    expect(forwardedSpans(traceId)[0]!.spanId).toBe("1234567890abcdef");
  });
});
