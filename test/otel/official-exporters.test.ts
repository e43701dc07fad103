/**
 * An agent that already has OpenTelemetry points its exporter at the Worker: the official
 * @opentelemetry/exporter-trace-otlp-proto (binary protobuf, the OTLP default) and -http (JSON), from
 * Node, with their default settings. Their spans must reach the session and then the Cekura stand-in
 * exactly as the OpenTelemetry SDK made them, also when a batch carries children before their parents.
 */
import { ROOT_CONTEXT, trace, type Span } from "@opentelemetry/api";
import { OTLPTraceExporter as ProtoExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { OTLPTraceExporter as JsonExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { JsonTraceSerializer } from "@opentelemetry/otlp-transformer";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  BatchSpanProcessor,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  TracerProvider,
  type SpanExporter,
} from "@opentelemetry/sdk-trace";
import { beforeAll, describe, expect, it } from "vitest";
import { attr, comparableTree, spansOf, workerSpans, type WireSpan } from "../sdk/cases/otel.ts";
import type { CaseContext } from "../sdk/cases/types.ts";
import { recordingProxy } from "./recording-proxy.ts";
import { api, KEY, sampleFragment, sessionId, useForwardHarness } from "../support/forward-harness.ts";

const h = useForwardHarness();
let ctx: CaseContext;
beforeAll(() => {
  ctx = { runtime: "node", ingestUrl: h.worker.url, apiKey: KEY, agentId: 42, uid: crypto.randomUUID().slice(0, 8) };
});

/** Ids, parents, names, exact times and attribute values: what must survive any encoding. */
const same = (spans: WireSpan[]) => {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  return comparableTree(spans).map((tree) => {
    const s = byId.get(tree.spanId)!;
    const attributes = Object.fromEntries((s.attributes ?? []).map((a) => [a.key, attr(s, a.key)]));
    return { ...tree, start: String(s.startTimeUnixNano), end: String(s.endTimeUnixNano), attributes };
  });
};

const forwarded = (traceId: string) =>
  spansOf(...h.standIn.traces().map((r) => r.body)).filter((s) => s.traceId === traceId);

interface Exported {
  /** The spans as the OpenTelemetry SDK finished them, in OTLP JSON form. */
  made: WireSpan[];
  traceId: string;
}

/**
 * A Pipecat-shaped call (conversation -> turn -> stt, llm) where only the conversation span names the
 * session. With `afterChildren`, the batch processor exports the ended children first (then it runs):
 * the Worker must park them until the conversation span names their session.
 */
async function exportCall(exporter: SpanExporter, id: string, afterChildren?: () => Promise<void>): Promise<Exported> {
  const made = new InMemorySpanExporter();
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ "service.name": "voice-agent" }),
    spanProcessors: [new BatchSpanProcessor({ exporter }), new SimpleSpanProcessor({ exporter: made })],
  });
  const tracer = provider.getTracer("pipecat-like", "1.0.0");
  const conversation = tracer.startSpan("conversation", {
    attributes: { "conversation.id": id, "conversation.type": "voice" },
  });
  const under = (parent: Span) => trace.setSpan(ROOT_CONTEXT, parent);
  const turn = tracer.startSpan(
    "turn",
    { attributes: { "turn.number": 1, "turn.was_interrupted": false } },
    under(conversation),
  );
  tracer
    .startSpan(
      "stt",
      { attributes: { "gen_ai.provider.name": "deepgram", transcript: "what is my balance" } },
      under(turn),
    )
    .end();
  const llm = tracer.startSpan(
    "llm",
    { attributes: { "gen_ai.request.model": "gpt-4o", "gen_ai.usage.input_tokens": 120, "metrics.ttfb": 0.31 } },
    under(turn),
  );
  llm.end();
  turn.end();
  if (afterChildren) {
    await provider.forceFlush();
    await afterChildren();
  }
  conversation.end();
  await provider.forceFlush();
  // Read before shutdown: the in-memory exporter forgets its spans when shut down.
  const body = JSON.parse(new TextDecoder().decode(JsonTraceSerializer.serializeRequest(made.getFinishedSpans())!));
  await provider.shutdown();
  return { made: spansOf(body), traceId: conversation.spanContext().traceId };
}

async function expectDelivered(id: string, { made, traceId }: Exported): Promise<void> {
  const atWorker = await workerSpans(ctx, id);
  expect(atWorker.traceId).toBe(traceId);
  expect(same(atWorker.spans)).toEqual(same(made));
  await h.standIn.waitFor(() => forwarded(traceId).length === made.length);
  expect(same(forwarded(traceId))).toEqual(same(made));
  const sent = h.standIn.traces().find((r) => spansOf(r.body).some((s) => s.traceId === traceId))!;
  expect(sent.apiKey).toBe(KEY);
  expect(sent.agentIdHeader).toBe("42");
}

const headers = { authorization: `Bearer ${KEY}` };

/** The Worker holds none of the session's spans yet: the children exported so far are parked. */
const parked = (id: string) => async () => expect((await workerSpans(ctx, id)).spans).toEqual([]);

/** Exports through a recording proxy, to see what the exporter put on the wire. */
async function viaProxy<T>(
  run: (url: string) => Promise<T>,
): Promise<{ result: T; seen: { contentType: string; contentEncoding: string }[] }> {
  const proxy = await recordingProxy(h.worker.url);
  try {
    return { result: await run(`${proxy.url}/v1/traces`), seen: proxy.seen };
  } finally {
    proxy.server.close();
  }
}

describe("official OpenTelemetry exporters from Node", () => {
  it("@opentelemetry/exporter-trace-otlp-proto (protobuf by default): spans reach the session and the stand-in unchanged", async () => {
    const id = sessionId("otlp-proto");
    expect((await h.api().fragment(id, sampleFragment("observe"))).status).toBe(200);
    const { result, seen } = await viaProxy((url) => exportCall(new ProtoExporter({ url, headers }), id));
    expect(seen).toEqual([{ contentType: "application/x-protobuf", contentEncoding: "identity" }]);
    await expectDelivered(id, result);
  });

  it("@opentelemetry/exporter-trace-otlp-proto with gzip, children exported before their parent: parked, then delivered whole", async () => {
    const id = sessionId("otlp-proto-gzip");
    expect((await h.api().fragment(id, sampleFragment("observe"))).status).toBe(200);
    const { result, seen } = await viaProxy((url) =>
      exportCall(new ProtoExporter({ url, headers, compression: "gzip" as never }), id, parked(id)),
    );
    expect(seen).toEqual([1, 2].map(() => ({ contentType: "application/x-protobuf", contentEncoding: "gzip" })));
    await expectDelivered(id, result);
  });

  it("@opentelemetry/exporter-trace-otlp-http (JSON by default), children exported before their parent: the same result", async () => {
    const id = sessionId("otlp-json");
    expect((await h.api().fragment(id, sampleFragment("observe"))).status).toBe(200);
    const { result, seen } = await viaProxy((url) => exportCall(new JsonExporter({ url, headers }), id, parked(id)));
    expect(seen.map((r) => r.contentType)).toEqual(["application/json", "application/json"]);
    await expectDelivered(id, result);
  });

  it("the forwarded call names the protobuf-exported trace, so Cekura links the call to it", async () => {
    const id = sessionId("otlp-proto-linked");
    expect((await h.api().fragment(id, sampleFragment("observe"))).status).toBe(200);
    const exported = await exportCall(new ProtoExporter({ url: `${h.worker.url}/v1/traces`, headers }), id);
    expect((await h.api().close(id, { lastSeq: 0, reason: "customer-ended-call" })).json.state).toBe("finalized");
    expect((await h.api().settled(id)).status).toBe("delivered");
    const call = h.standIn.calls().find((c) => (c.body as { call_id?: string }).call_id === id)!;
    expect((call.body as { trace_id?: string }).trace_id).toBe(exported.traceId);
  });
});
