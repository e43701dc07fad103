import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gzipSync } from "node:zlib";
import { ProtobufTraceSerializer } from "@opentelemetry/otlp-transformer";
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import { startCekuraStandIn, type CekuraStandIn } from "../../worker/local/cekura-standin.ts";

let standIn: CekuraStandIn;
beforeAll(async () => {
  standIn = await startCekuraStandIn();
});
afterAll(() => standIn?.stop());

const post = (path: string, body: unknown, headers: Record<string, string> = { "x-cekura-api-key": "k" }) =>
  fetch(`${standIn.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });

const observe = (callId: string, extra: Record<string, unknown> = {}) => ({
  call_id: callId,
  agent: 7,
  transcript_type: "pipecat",
  transcript_json: [{ role: "user", content: "hi", start_time: 0.5, end_time: 1 }],
  ...extra,
});

describe("the local Cekura stand-in", () => {
  it("answers 201 to a valid observe call and 409 to the same call_id again", async () => {
    const first = await post("/observability/v1/observe/", observe("c-1"));
    expect(first.status).toBe(201);
    expect(await first.json()).toMatchObject({ call_id: "c-1", agent: 7 });
    const again = await post("/observability/v1/observe/", observe("c-1"));
    expect(again.status).toBe(409);
    expect(standIn.calls().filter((r) => (r.body as { call_id: string }).call_id === "c-1")).toHaveLength(1);
  });

  it("answers 400 with per-field errors like Cekura", async () => {
    const res = await post(
      "/observability/v1/observe/",
      observe("c-2", { agent: "x", transcript_json: [{ role: "robot", content: "?" }], trace_id: "nothex" }),
    );
    expect(res.status).toBe(400);
    const errors = (await res.json()) as Record<string, string[]>;
    expect(Object.keys(errors).sort()).toEqual(["agent", "trace_id", "transcript_json.0"].sort());
    for (const messages of Object.values(errors)) expect(messages.length).toBeGreaterThan(0);
  });

  it("refuses a request without X-CEKURA-API-KEY with 401", async () => {
    const res = await post("/observability/v1/observe/", observe("c-3"), {});
    expect(res.status).toBe(401);
  });

  it("validates track posts (epoch-ms times, roles) and answers 200", async () => {
    const call = {
      id: "t-1",
      startedAt: "2026-11-25T12:00:00.000Z",
      endedAt: "2026-11-25T12:01:00.000Z",
      messages: [{ role: "bot", content: "hello", start_time: 1764072000000, end_time: 1764072001000 }],
    };
    expect(
      (await post("/test_framework/custom-provider-transcript-webhook/", { agent_id: 7, calls: [call] })).status,
    ).toBe(200);
    const bad = await post("/test_framework/custom-provider-transcript-webhook/", {
      agent_id: 7,
      calls: [{ ...call, id: "t-2", messages: [{ role: "assistant", content: "x", start_time: 1.5, end_time: 2 }] }],
    });
    expect(bad.status).toBe(400);
    expect(Object.keys((await bad.json()) as object).sort()).toEqual([
      "calls.0.messages.0.end_time",
      "calls.0.messages.0.role",
      "calls.0.messages.0.start_time",
    ]);
  });

  it("stores OTLP trace posts and checks x-cekura-api-key and x-cekura-agent-id", async () => {
    const spans = { resourceSpans: [] };
    expect((await post("/v1/traces", spans, { "x-cekura-api-key": "k" })).status).toBe(400);
    expect((await post("/v1/traces", spans, { "x-cekura-agent-id": "7" })).status).toBe(401);
    expect((await post("/v1/traces", spans, { "x-cekura-api-key": "k", "x-cekura-agent-id": "7" })).status).toBe(200);
    expect(standIn.traces().at(-1)?.body).toEqual(spans);
    const badSpan = {
      resourceSpans: [
        {
          scopeSpans: [
            {
              spans: [
                { traceId: "XYZ", spanId: "1".repeat(16), name: "llm", startTimeUnixNano: "1", endTimeUnixNano: "2" },
              ],
            },
          ],
        },
      ],
    };
    const refused = await post("/v1/traces", badSpan, { "x-cekura-api-key": "k", "x-cekura-agent-id": "7" });
    expect(refused.status).toBe(400);
    expect(Object.keys((await refused.json()) as object)).toEqual(["resourceSpans.0.scopeSpans.0.spans.0.traceId"]);
  });

  it("reads OTLP protobuf traces, gzip or not, into the JSON form and refuses bytes that are not OTLP", async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
    provider
      .getTracer("standin")
      .startSpan("llm", { attributes: { "gen_ai.request.model": "gpt-4o" } })
      .end();
    const [span] = exporter.getFinishedSpans();
    const bytes = ProtobufTraceSerializer.serializeRequest([span!])!;
    const headers = { "content-type": "application/x-protobuf", "x-cekura-api-key": "k", "x-cekura-agent-id": "7" };
    for (const [body, extra] of [
      [bytes, {}],
      [gzipSync(bytes), { "content-encoding": "gzip" }],
    ] as const) {
      const res = await fetch(`${standIn.url}/v1/traces`, {
        method: "POST",
        headers: { ...headers, ...extra },
        body: new Uint8Array(body),
      });
      expect(res.status).toBe(200);
      const stored = standIn.traces().at(-1)?.body as {
        resourceSpans: { scopeSpans: { spans: { traceId: string; spanId: string; name: string }[] }[] }[];
      };
      expect(stored.resourceSpans[0]!.scopeSpans[0]!.spans[0]).toMatchObject({
        traceId: span!.spanContext().traceId,
        spanId: span!.spanContext().spanId,
        name: "llm",
      });
    }
    const garbage = await fetch(`${standIn.url}/v1/traces`, {
      method: "POST",
      headers,
      body: new Uint8Array([0x0a, 0xff, 0xff]),
    });
    expect(garbage.status).toBe(400);
  });

  it("injects faults: 5xx for N calls, 429 with Retry-After, slow answers, hangs", async () => {
    standIn.failNext(2, 503, "observe");
    expect((await post("/observability/v1/observe/", observe("f-1"))).status).toBe(503);
    expect((await post("/observability/v1/observe/", observe("f-1"))).status).toBe(503);
    expect((await post("/observability/v1/observe/", observe("f-1"))).status).toBe(201);

    standIn.plan({ endpoint: "observe", status: 429, retryAfter: 12 });
    const limited = await post("/observability/v1/observe/", observe("f-2"));
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("12");

    standIn.plan({ endpoint: "observe", delayMs: 300 });
    expect((await post("/observability/v1/observe/", observe("f-3"))).status).toBe(201);

    standIn.plan({ endpoint: "observe", hang: true });
    const hung = await fetch(`${standIn.url}/observability/v1/observe/`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-cekura-api-key": "k" },
      body: JSON.stringify(observe("f-4")),
      signal: AbortSignal.timeout(500),
    }).then(
      () => "answered",
      (e: Error) => e.name,
    );
    expect(hung).toBe("TimeoutError");
  });

  it("shows what it received and takes faults over HTTP (/__standin)", async () => {
    const planned = await fetch(`${standIn.url}/__standin/faults`, {
      method: "POST",
      body: JSON.stringify([{ endpoint: "observe", status: 502 }]),
    });
    expect(planned.status).toBe(200);
    expect((await post("/observability/v1/observe/", observe("h-1"))).status).toBe(502);
    const view = (await (await fetch(`${standIn.url}/__standin/requests`)).json()) as {
      requests: { body: { call_id?: string }; answer: { status: number }; apiKeySha256: string | null }[];
    };
    const mine = view.requests.filter((r) => r.body?.call_id === "h-1");
    expect(mine).toHaveLength(1);
    expect(mine[0]?.answer.status).toBe(502);
    expect(JSON.stringify(view)).not.toContain('"apiKey":"k"'); // only a hash of the key is shown
    expect(mine[0]?.apiKeySha256).toMatch(/^[0-9a-f]{64}$/);
  });
});
