import { reset } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { SessionTracing } from "../../sdk/otel/index.ts";
import { gzip } from "../support/gzip.ts";
import {
  call,
  closeSession,
  fragment,
  getRecord,
  KEY,
  OTHER_KEY,
  say,
  sendFragment,
  uniqueId,
} from "../support/workerd/api.ts";
import { naming, postSpans, span, storedSpans, type OtlpSpan, type Span } from "../support/workerd/spans.ts";

afterEach(() => reset());

type Stored = { resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[] };

const postTraces = (body: unknown, headers: Record<string, string> = {}, key: string = KEY) =>
  call("POST", "/v1/traces", body, key, { "content-type": "application/json", ...headers });

const attr = (span: OtlpSpan, key: string) => {
  const v = span.attributes?.find((a) => a.key === key)?.value;
  return v && (v.stringValue ?? v.intValue ?? v.doubleValue ?? v.boolValue);
};

/** Spans made by the SDK's own tracing, serialized by the official OTLP JSON serializer. */
async function sdkBatch(sessionId: string): Promise<{ body: Uint8Array; traceId: string }> {
  const bodies: Uint8Array[] = [];
  const tracing = new SessionTracing({ sessionId, sink: async (b) => void bodies.push(b) });
  const turn = tracing.startTurn();
  turn.stt({ provider: "deepgram", model: "nova-3", language: "en" }).text("hello").end();
  turn.end();
  await tracing.close();
  const spans = bodies.flatMap((b) => (JSON.parse(new TextDecoder().decode(b)) as Stored).resourceSpans);
  return { body: new TextEncoder().encode(JSON.stringify({ resourceSpans: spans })), traceId: tracing.traceId };
}

describe("POST /v1/traces", () => {
  it("stores the SDK's spans under their session and the record carries the conversation's trace id", async () => {
    const id = uniqueId();
    await sendFragment(id, fragment(0, [say("user", "hi", 0)]));
    const { body, traceId } = await sdkBatch(id);
    const res = await postTraces(body);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({});
    const stored = await storedSpans(id);
    expect(stored.traceId).toBe(traceId);
    expect(stored.spans.map((s) => s.name).sort()).toEqual(["conversation", "stt", "turn"]);
    const byName = Object.fromEntries(stored.spans.map((s) => [s.name, s]));
    expect(byName.turn!.parentSpanId).toBe(byName.conversation!.spanId);
    expect(byName.stt!.parentSpanId).toBe(byName.turn!.spanId);
    expect(attr(byName.stt!, "transcript")).toBe("hello");
    await closeSession(id, { lastSeq: 0 });
    const record = (await (await getRecord(id)).json()) as { traceId: string };
    expect(record.traceId).toBe(traceId);
  });

  it("accepts a gzip body and answers a repeat of the same spans again without storing them twice", async () => {
    const id = uniqueId();
    const { body } = await sdkBatch(id);
    const zipped = await gzip(body);
    for (let i = 0; i < 2; i++) {
      const res = await postTraces(zipped, { "content-encoding": "gzip" });
      expect(res.status).toBe(200);
    }
    expect((await storedSpans(id)).spans).toHaveLength(3);
  });

  it("rejects a decompression bomb with 413 after decompressing no more than the cap", async () => {
    const bomb = await gzip(new Uint8Array(40 * 1024 * 1024).fill(32));
    expect(bomb.byteLength).toBeLessThan(4 * 1024 * 1024);
    const res = await postTraces(bomb, { "content-encoding": "gzip" });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({
      error: "payload_too_large",
      detail: expect.stringContaining("decompressed body"),
    });
  });

  it("answers 400 to data that is not OTLP, 415 to another content type, and partial success for bad spans", async () => {
    expect((await postTraces("{not json")).status).toBe(400);
    const notOtlp = await postTraces({ resourceSpans: "nope" });
    expect(notOtlp.status).toBe(400);
    expect(await notOtlp.json()).toMatchObject({ error: "invalid_otlp" });
    const text = await call("POST", "/v1/traces", "resourceSpans", KEY, { "content-type": "text/plain" });
    expect(text.status).toBe(415);

    const id = uniqueId();
    const good = {
      traceId: "a".repeat(32),
      spanId: "b".repeat(16),
      name: "turn",
      startTimeUnixNano: "1795615521843000000",
      endTimeUnixNano: "1795615521844000000",
      attributes: [{ key: "conversation.id", value: { stringValue: id } }],
    };
    const badId = { ...good, spanId: "xyz" };
    const orphan = { ...good, traceId: "c".repeat(32), spanId: "d".repeat(16), attributes: [] };
    const res = await postTraces({
      resourceSpans: [{ resource: {}, scopeSpans: [{ scope: { name: "t" }, spans: [good, badId, orphan] }] }],
    });
    expect(res.status).toBe(200);
    const answer = (await res.json()) as { partialSuccess: { rejectedSpans: string; errorMessage: string } };
    expect(answer.partialSuccess.rejectedSpans).toBe("1");
    expect(answer.partialSuccess.errorMessage).toMatch(/spanId must be 16 hex characters/);
    expect((await storedSpans(id)).spans.map((s) => s.spanId)).toEqual(["b".repeat(16)]);
  });

  it("parks spans whose session is not named yet and hands them to the session once a span of their trace names it", async () => {
    const id = uniqueId();
    const trace = crypto.randomUUID().replaceAll("-", "");
    const child = span(trace, { spanId: "1".repeat(16), parentSpanId: "2".repeat(16) });
    const parent = span(trace, { spanId: "2".repeat(16), name: "turn", ...naming(id) });
    const late = { ...child, spanId: "3".repeat(16) };
    const send = (one: Span) => postSpans([one]);
    expect(await (await send(child)).json()).toEqual({});
    expect((await storedSpans(id)).spans).toEqual([]);
    expect(await (await send(parent)).json()).toEqual({});
    expect((await storedSpans(id)).spans.map((s) => s.spanId).sort()).toEqual(["1".repeat(16), "2".repeat(16)]);
    expect(await (await send(late)).json()).toEqual({});
    expect((await storedSpans(id)).spans.map((s) => s.spanId).sort()).toEqual([
      "1".repeat(16),
      "2".repeat(16),
      "3".repeat(16),
    ]);
    expect((await storedSpans(id, OTHER_KEY)).spans).toEqual([]);
  });

  it("routes spans without conversation.id by the session header, and keeps tenants apart", async () => {
    const id = uniqueId();
    const res = await postSpans([span("e".repeat(32), { spanId: "f".repeat(16), name: "llm" })], {
      "x-cekura-session-id": id,
    });
    expect(await res.json()).toEqual({});
    expect((await storedSpans(id)).spans).toHaveLength(1);
    expect((await storedSpans(id, OTHER_KEY)).spans).toHaveLength(0);
  });

  it("refuses spans of an aborted session", async () => {
    const id = uniqueId();
    await sendFragment(id, fragment(0, [say("user", "hi", 0)], { deferUpload: true }));
    expect((await call("POST", `/v1/sessions/${id}/abort`, {})).status).toBe(200);
    const { body } = await sdkBatch(id);
    const res = await postTraces(body);
    const answer = (await res.json()) as { partialSuccess?: { rejectedSpans: string } };
    expect(answer.partialSuccess?.rejectedSpans).toBe("3");
    expect((await storedSpans(id)).spans).toHaveLength(0);
  });
});
