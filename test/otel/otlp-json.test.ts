/**
 * The SDK's own span recorder + OTLP JSON serializer against OpenTelemetry's: the same spans
 * (ids, parents, times, attributes, statuses) replayed through @opentelemetry/sdk-trace and
 * serialized by @opentelemetry/otlp-transformer's JsonTraceSerializer give the same bytes.
 */
import { ROOT_CONTEXT, SpanStatusCode, TraceFlags, trace } from "@opentelemetry/api";
import { JsonTraceSerializer } from "@opentelemetry/otlp-transformer";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { AlwaysOnSampler, type ReadableSpan, TracerProvider } from "@opentelemetry/sdk-trace";
import { describe, expect, it } from "vitest";
import { serializeSpans } from "../../sdk/otel/otlp-json.ts";
import { ATTRIBUTE_COUNT_LIMIT, type RecordedSpan } from "../../sdk/otel/recorded-span.ts";
import { SessionTracing } from "../../sdk/otel/session-tracing.ts";
import { SpanRecorder } from "../../sdk/otel/spans.ts";

/** The official serializer's bytes for spans with exactly these fields. */
function official(spans: RecordedSpan[], serviceName: string): string {
  const finished: ReadableSpan[] = [];
  let nextId = "";
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ "service.name": serviceName }),
    sampler: new AlwaysOnSampler(),
    spanProcessors: [
      { onStart() {}, onEnd: (span) => void finished.push(span), forceFlush: async () => {}, shutdown: async () => {} },
    ],
    idGenerator: { generateTraceId: () => spans[0]!.traceId, generateSpanId: () => nextId },
  });
  const tracer = provider.getTracer("cekura-edge-tracer");
  for (const s of spans) {
    nextId = s.spanId;
    const context = s.parentSpanId
      ? trace.setSpanContext(ROOT_CONTEXT, {
          traceId: s.traceId,
          spanId: s.parentSpanId,
          traceFlags: TraceFlags.SAMPLED,
        })
      : ROOT_CONTEXT;
    const span = tracer.startSpan(s.name, { startTime: s.startMs, root: !s.parentSpanId }, context);
    // One key at a time, in the recorder's order, so the limit drops the same keys.
    for (const [key, value] of Object.entries(s.attributes)) span.setAttribute(key, value);
    for (let i = 0; i < s.droppedAttributes; i++) span.setAttribute(`dropped.${i}`, i);
    if (s.error !== undefined) span.setStatus({ code: SpanStatusCode.ERROR, message: s.error });
    span.end(s.endMs);
  }
  return new TextDecoder().decode(JsonTraceSerializer.serializeRequest(finished));
}

function recorded(): RecordedSpan[] {
  const ended: RecordedSpan[] = [];
  const recorder = new SpanRecorder((s) => ended.push(s));
  const root = recorder.start("conversation", undefined, 1_700_000_000_000.25, { "conversation.id": "c" });
  const turn = recorder.start("turn", root, 1_700_000_000_001.5, { "turn.number": 1, "turn.type": "conversation" });
  const llm = recorder.start("llm", turn, 1_700_000_000_002.123456, {
    "gen_ai.request.model": "gpt",
    tools: ["a", "b"],
    counts: [1, 2.5],
    flags: [true, false],
    ratio: 0.25,
    big: 2 ** 40,
    negative: -3,
    empty: "",
    unicode: 'héllo \u2028 "quoted" \\ 🎙',
  });
  const tool = recorder.start("tool_call", llm, 1_700_000_000_003, { "tool.function_name": "f" });
  tool.setAttribute("tool.result", "x").end(1_700_000_000_004, "tool returned an error");
  llm.setAttribute("ignored", { not: "an attribute value" }).setAttribute("mixed", [1, "a"] as never);
  llm.end(1_700_000_000_001); // before its start: OTel clamps it to the start
  llm.setAttribute("after.end", 1);
  for (let i = 0; i < ATTRIBUTE_COUNT_LIMIT + 5; i++) turn.setAttribute(`k${i}`, i);
  turn.end(1_700_000_000_010.999999);
  root.end(1_700_000_001_000);
  return ended;
}

describe("OTLP JSON serializer", () => {
  it("writes the bytes OpenTelemetry's JsonTraceSerializer writes for the same spans", () => {
    const spans = recorded();
    expect(spans.map((s) => s.name)).toEqual(["tool_call", "llm", "turn", "conversation"]);
    expect(spans[2]!.droppedAttributes).toBeGreaterThan(0);
    const ours = new TextDecoder().decode(
      serializeSpans(spans, { serviceName: "svc", scopeName: "cekura-edge-tracer" }),
    );
    expect(ours).toBe(official(spans, "svc"));
  });

  it("a whole session's batches parse as the official ones do (ids, parents, service.name)", async () => {
    const bodies: string[] = [];
    const tracing = new SessionTracing({
      sessionId: "s",
      serviceName: "my-agent",
      sink: async (b) => void bodies.push(new TextDecoder().decode(b)),
    });
    const turn = tracing.startTurn();
    turn.llm({ provider: "openai", model: "m" }).end({ error: "boom" });
    turn.end();
    await tracing.close();
    const all = bodies.flatMap((b) => {
      const parsed = JSON.parse(b);
      expect(parsed.resourceSpans[0].resource.attributes).toEqual([
        { key: "service.name", value: { stringValue: "my-agent" } },
      ]);
      return parsed.resourceSpans[0].scopeSpans[0].spans as { traceId: string; spanId: string }[];
    });
    expect(new Set(all.map((s) => s.traceId))).toEqual(new Set([tracing.traceId]));
    expect(tracing.traceId).toMatch(/^[0-9a-f]{32}$/);
    for (const s of all) expect(s.spanId).toMatch(/^[0-9a-f]{16}$/);
  });
});
