/** OTLP/HTTP JSON spans as workerd tests post them to /v1/traces and read them back from GET /v1/traces/:id. */
import { expect } from "vitest";
import { hex } from "../otlp-json.ts";
import { call, KEY } from "./api.ts";

export type OtlpSpan = {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  startTimeUnixNano?: string;
  attributes?: { key: string; value: Record<string, unknown> }[];
};
type Stored = { traceId: string | null; resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[] };

/** The session's stored spans (GET /v1/traces/:id must answer 200) and the trace id it is linked to. */
export async function storedSpans(
  id: string,
  key: string = KEY,
): Promise<{ traceId: string | null; spans: OtlpSpan[] }> {
  const res = await call("GET", `/v1/traces/${id}`, undefined, key);
  expect(res.status).toBe(200);
  const body = (await res.json()) as Stored;
  return { traceId: body.traceId, spans: spansOf(body) };
}

/** The ids of the session's stored spans, sorted (none when nothing is stored). */
export async function storedSpanIds(id: string, key: string = KEY): Promise<string[]> {
  const body = (await (await call("GET", `/v1/traces/${id}`, undefined, key)).json()) as Stored;
  return spansOf(body)
    .map((s) => s.spanId)
    .sort();
}

const spansOf = (body: Stored) => body.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans));

/** A random 16-byte trace id, as hex. */
export const newTraceId = () => hex(32);

/** Fixed span times: 2026-11-25T12:00Z, 1 ms long. */
export const NOW_NS = BigInt(Date.UTC(2026, 10, 25, 12)) * 1_000_000n;

export type Span = Record<string, unknown>;
/** A 1 ms `stt` span of `traceId` with a random span id; `extra` adds or overrides fields. */
export const span = (traceId: string, extra: Span = {}): Span => ({
  traceId,
  spanId: hex(16),
  name: "stt",
  startTimeUnixNano: String(NOW_NS),
  endTimeUnixNano: String(NOW_NS + 1_000_000n),
  ...extra,
});

/** The attributes that name the span's session (Pipecat's conversation.id). */
export const naming = (sessionId: string) => ({
  attributes: [{ key: "conversation.id", value: { stringValue: sessionId } }],
});

/** POSTs `spans` as one OTLP JSON batch (one resource, one scope) with `KEY`; the Worker reads no resource as `{}`. */
export const postSpans = (spans: Span[], headers: Record<string, string> = {}, resource: unknown = {}) =>
  call("POST", "/v1/traces", { resourceSpans: [{ resource, scopeSpans: [{ scope: { name: "t" }, spans }] }] }, KEY, {
    "content-type": "application/json",
    ...headers,
  });
