import { reset } from "cloudflare:test";
import { ProtobufTraceSerializer } from "@opentelemetry/otlp-transformer";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import { ROOT_CONTEXT, trace } from "@opentelemetry/api";
import { afterEach, describe, expect, it } from "vitest";
import { gzip } from "../support/gzip.ts";
import { call, fragment, KEY, say, sendFragment, uniqueId } from "../support/workerd/api.ts";
import { storedSpans } from "../support/workerd/spans.ts";

afterEach(() => reset());

const PROTOBUF = { "content-type": "application/x-protobuf" };

/** A conversation -> turn -> llm tree made by the OpenTelemetry SDK, encoded by OpenTelemetry's own protobuf serializer. */
function protobufTree(sessionId: string): { body: Uint8Array; traceId: string; startNanos: string } {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ "service.name": "pb" }),
    spanProcessors: [new SimpleSpanProcessor({ exporter })],
  });
  const tracer = provider.getTracer("protobuf-test");
  const conversation = tracer.startSpan("conversation", {
    attributes: { "conversation.id": sessionId },
    startTime: [1_795_600_000, 123_456_789],
  });
  const turn = tracer.startSpan(
    "turn",
    { attributes: { "turn.number": 1 } },
    trace.setSpan(ROOT_CONTEXT, conversation),
  );
  const llm = tracer.startSpan(
    "llm",
    { attributes: { "gen_ai.usage.input_tokens": 7, "gen_ai.request.model": "gpt-4o" } },
    trace.setSpan(ROOT_CONTEXT, turn),
  );
  llm.end();
  turn.end();
  conversation.end();
  const spans = exporter.getFinishedSpans();
  return {
    body: ProtobufTraceSerializer.serializeRequest(spans)!,
    traceId: conversation.spanContext().traceId,
    startNanos: "1795600000123456789",
  };
}

describe("POST /v1/traces with OTLP protobuf", () => {
  it("stores a protobuf export under its session with hex ids, parents and exact nanosecond times, and answers in protobuf", async () => {
    const id = uniqueId();
    await sendFragment(id, fragment(0, [say("user", "hi", 0)]));
    const { body, traceId, startNanos } = protobufTree(id);
    const res = await call("POST", "/v1/traces", body, KEY, PROTOBUF);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/x-protobuf");
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(new Uint8Array(0)); // an empty ExportTraceServiceResponse
    const stored = await storedSpans(id);
    expect(stored.traceId).toBe(traceId);
    const byName = Object.fromEntries(stored.spans.map((s) => [s.name, s]));
    expect(Object.keys(byName).sort()).toEqual(["conversation", "llm", "turn"]);
    expect(byName.conversation!.traceId).toBe(traceId);
    expect(byName.conversation!.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(byName.turn!.parentSpanId).toBe(byName.conversation!.spanId);
    expect(byName.llm!.parentSpanId).toBe(byName.turn!.spanId);
    expect(byName.conversation!.startTimeUnixNano).toBe(startNanos);
    expect(byName.llm!.attributes).toContainEqual({ key: "gen_ai.request.model", value: { stringValue: "gpt-4o" } });
  });

  it("accepts gzip protobuf and stores a repeat once", async () => {
    const id = uniqueId();
    const zipped = await gzip(protobufTree(id).body);
    for (let i = 0; i < 2; i++) {
      const res = await call("POST", "/v1/traces", zipped, KEY, { ...PROTOBUF, "content-encoding": "gzip" });
      expect(res.status).toBe(200);
    }
    expect((await storedSpans(id)).spans).toHaveLength(3);
  });

  it("answers partial success as a protobuf ExportTraceServiceResponse that the official deserializer reads", async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
    provider.getTracer("t").startSpan("nobody's").end(); // no conversation.id, no session header: parked, not rejected
    const id = uniqueId();
    const named = provider
      .getTracer("t")
      .startSpan("turn", { attributes: { "conversation.id": "bad id with spaces" } });
    named.end();
    const res = await call(
      "POST",
      "/v1/traces",
      ProtobufTraceSerializer.serializeRequest(exporter.getFinishedSpans())!,
      KEY,
      { ...PROTOBUF, "x-cekura-session-id": id },
    );
    expect(res.status).toBe(200);
    const answer = ProtobufTraceSerializer.deserializeResponse(new Uint8Array(await res.arrayBuffer()));
    expect(answer.partialSuccess?.rejectedSpans).toBe(1);
    expect(answer.partialSuccess?.errorMessage).toMatch(/invalid conversation\.id/);
    expect((await storedSpans(id)).spans.map((s) => s.name)).toEqual(["nobody's"]);
  });

  it("answers 400 to bytes that are not an ExportTraceServiceRequest and 415 to an unknown type", async () => {
    const garbage = await call("POST", "/v1/traces", new Uint8Array([0x0a, 0xff, 0xff, 0xff]), KEY, PROTOBUF);
    expect(garbage.status).toBe(400);
    expect(await garbage.json()).toMatchObject({ error: "invalid_protobuf" });
    const other = await call("POST", "/v1/traces", new Uint8Array([1]), KEY, {
      "content-type": "application/octet-stream",
    });
    expect(other.status).toBe(415);
    expect(await other.json()).toMatchObject({
      error: "unsupported_media_type",
      detail: expect.stringContaining("application/x-protobuf"),
    });
  });

  it("rejects a protobuf decompression bomb with 413 at 6 MiB after decompression", async () => {
    const bomb = await gzip(new Uint8Array(12 * 1024 * 1024));
    const res = await call("POST", "/v1/traces", bomb, KEY, { ...PROTOBUF, "content-encoding": "gzip" });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: "payload_too_large", detail: expect.stringContaining("6291456") });
  });
});
