/**
 * OTel traces: a scripted 3-turn call with an interruption and a tool call; the span tree
 * and Pipecat's attribute names are checked from what the Worker received (GET /v1/traces/:id),
 * and the record carries the conversation's trace id. Runtime-neutral: used by the shared suite and
 * by test/otel/ (which also compares with what the Cekura stand-in received).
 */
import type { CekuraSession } from "../../../sdk/index.ts";
import { equal, noErrors, ok } from "./assert.ts";
import { caseTracer } from "./tracer.ts";
import type { CaseContext, SdkCase } from "./types.ts";
import { getRecord, sid } from "./worker-client.ts";

export interface WireSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  startTimeUnixNano: string | number;
  endTimeUnixNano: string | number;
  attributes?: { key: string; value?: Record<string, unknown> }[];
}

/** Spans of an OTLP JSON ExportTraceServiceRequest (or several). */
export function spansOf(...requests: unknown[]): WireSpan[] {
  const out: WireSpan[] = [];
  for (const r of requests) {
    for (const rs of (r as { resourceSpans?: { scopeSpans?: { spans?: WireSpan[] }[] }[] }).resourceSpans ?? []) {
      for (const ss of rs.scopeSpans ?? []) out.push(...(ss.spans ?? []));
    }
  }
  return out;
}

/** An attribute's value as JS (OTLP JSON int64 may be a string or a number). */
export function attr(span: WireSpan, key: string): unknown {
  const v = span.attributes?.find((a) => a.key === key)?.value;
  if (!v) return undefined;
  if ("intValue" in v) return Number(v.intValue);
  if ("doubleValue" in v) return Number(v.doubleValue);
  if ("boolValue" in v) return v.boolValue;
  return v.stringValue;
}

/** The span carries each of `expected`'s attributes with that value (it may carry others). */
function hasAttributes(span: WireSpan, expected: Record<string, unknown>, message: string): void {
  equal(Object.fromEntries(Object.keys(expected).map((key) => [key, attr(span, key)])), expected, message);
}

/** The GenAI attributes that name a service span's provider, model and operation. */
const service = (provider: string, model: string, operation: string) => ({
  "gen_ai.provider.name": provider,
  "gen_ai.request.model": model,
  "gen_ai.operation.name": operation,
});

/** The scripted call: turn 1 with a tool call, turn 2 interrupted during TTS, turn 3 ends normally. */
export async function scriptedCall(s: CekuraSession): Promise<void> {
  const t1 = s.startTurn();
  t1.stt({ provider: "deepgram", model: "nova-3", language: "en-US" })
    .ttfb(0.12)
    .text("What's the weather in Paris?", { isFinal: true })
    .end();
  s.transcript({ role: "user", text: "What's the weather in Paris?" });
  const llm1 = t1.llm({ provider: "openai", model: "gpt-4o", tools: ["get_weather"] }).ttfb(0.35);
  s.toolCall({ id: "call-1", name: "get_weather", arguments: { city: "Paris" } });
  s.toolResult({ id: "call-1", name: "get_weather", result: { tempC: 18 } });
  llm1.usage({ inputTokens: 120, outputTokens: 14 }).text("It is 18 degrees in Paris.").end();
  t1.tts({ provider: "cartesia", model: "sonic-2", voiceId: "voice-abc" })
    .ttfb(0.09)
    .text("It is 18 degrees in Paris.")
    .end();
  s.transcript({ role: "assistant", text: "It is 18 degrees in Paris." });
  t1.end({ userBotLatencySeconds: 0.8 });

  const t2 = s.startTurn();
  t2.stt({ provider: "deepgram", model: "nova-3", language: "en-US" }).text("And tomorrow?").end();
  t2.llm({ provider: "openai", model: "gpt-4o" })
    .usage({ inputTokens: 150, outputTokens: 20 })
    .text("Tomorrow it will be sunny and")
    .end();
  t2.tts({ provider: "cartesia", model: "sonic-2", voiceId: "voice-abc" }).text("Tomorrow it will be sunny and");
  t2.end({ interrupted: true });

  const t3 = s.startTurn();
  t3.stt({ provider: "deepgram", model: "nova-3", language: "en-US" }).text("Thanks, bye").end();
  t3.llm({ provider: "openai", model: "gpt-4o" }).usage({ inputTokens: 180, outputTokens: 5 }).text("Goodbye!").end();
  t3.tts({ provider: "cartesia", model: "sonic-2", voiceId: "voice-abc" }).text("Goodbye!").end();
  t3.end();
}

/** Checks the span tree and Pipecat's attribute names of `scriptedCall`; returns the trace id. */
export function checkScriptedTree(spans: WireSpan[], sessionId: string): string {
  const byName = (name: string) => spans.filter((s) => s.name === name);
  equal(
    spans.map((s) => s.name).sort(),
    [
      "conversation",
      "llm",
      "llm",
      "llm",
      "stt",
      "stt",
      "stt",
      "tool_call",
      "tts",
      "tts",
      "tts",
      "turn",
      "turn",
      "turn",
    ],
    "span names",
  );
  const traceIds = [...new Set(spans.map((s) => s.traceId))];
  equal(traceIds.length, 1, "one trace for the call");
  const traceId = traceIds[0]!;
  ok(/^[0-9a-f]{32}$/.test(traceId), `trace id is 32 lower-case hex: ${traceId}`);
  ok(
    spans.every((s) => /^[0-9a-f]{16}$/.test(s.spanId)),
    "span ids are 16 lower-case hex",
  );
  ok(
    spans.every((s) => typeof s.startTimeUnixNano === "string" && /^\d{19}$/.test(s.startTimeUnixNano)),
    "times are int64 nanoseconds as decimal strings",
  );

  const [conversation] = byName("conversation");
  ok(conversation && !conversation.parentSpanId, "the conversation span is the root");
  equal(attr(conversation, "conversation.id"), sessionId, "conversation.id");
  equal(attr(conversation, "conversation.type"), "voice", "conversation.type");
  equal(attr(conversation, "deployment"), "suite", "additionalSpanAttributes land on the conversation span");

  const turns = byName("turn").sort((a, b) => Number(attr(a, "turn.number")) - Number(attr(b, "turn.number")));
  equal(
    turns.map((t) => attr(t, "turn.number")),
    [1, 2, 3],
    "turn.number",
  );
  equal(
    turns.map((t) => t.parentSpanId),
    [conversation.spanId, conversation.spanId, conversation.spanId],
    "turns are children of the conversation",
  );
  equal(
    turns.map((t) => attr(t, "turn.was_interrupted")),
    [false, true, false],
    "turn.was_interrupted",
  );
  equal(
    turns.map((t) => attr(t, "turn.type")),
    ["conversation", "conversation", "conversation"],
    "turn.type",
  );
  ok(
    turns.every(
      (t) => typeof attr(t, "turn.duration_seconds") === "number" && Number(attr(t, "turn.duration_seconds")) >= 0,
    ),
    "turn.duration_seconds",
  );
  equal(attr(turns[0]!, "turn.user_bot_latency_seconds"), 0.8, "turn.user_bot_latency_seconds");

  for (const [i, turn] of turns.entries()) {
    const children = spans
      .filter((s) => s.parentSpanId === turn.spanId)
      .map((s) => s.name)
      .sort();
    equal(children, ["llm", "stt", "tts"], `children of turn ${i + 1}`);
  }
  const under = (name: string, turn: number) =>
    spans.find((s) => s.name === name && s.parentSpanId === turns[turn]!.spanId)!;
  const expected: Record<"stt" | "llm" | "tts", Record<string, unknown>> = {
    stt: {
      ...service("deepgram", "nova-3", "stt"),
      transcript: "What's the weather in Paris?",
      is_final: true,
      language: "en-US",
      "metrics.ttfb": 0.12,
    },
    llm: {
      ...service("openai", "gpt-4o", "chat"),
      "gen_ai.usage.input_tokens": 120,
      "gen_ai.usage.output_tokens": 14,
      output: "It is 18 degrees in Paris.",
      "metrics.ttfb": 0.35,
    },
    tts: {
      ...service("cartesia", "sonic-2", "tts"),
      voice_id: "voice-abc",
      text: "It is 18 degrees in Paris.",
      "metrics.character_count": 26,
    },
  };
  for (const [name, attributes] of Object.entries(expected))
    hasAttributes(under(name, 0), attributes, `${name} attributes of turn 1`);
  const llm = under("llm", 0);
  // As Pipecat: the function call sits under the llm span that asked for it.
  const tool = spans.find((s) => s.name === "tool_call" && s.parentSpanId === llm.spanId)!;
  hasAttributes(
    tool,
    {
      "tool.function_name": "get_weather",
      "function.name": "get_weather",
      "tool.arguments": '{"city":"Paris"}',
      "tool.result": '{"tempC":18}',
      "tool.result_status": "success",
    },
    "tool_call attributes",
  );
  equal(
    attr(under("tts", 1), "text"),
    "Tomorrow it will be sunny and",
    "the interrupted turn's tts span was ended by turn.end()",
  );
  return traceId;
}

export async function workerSpans(
  ctx: CaseContext,
  sessionId: string,
): Promise<{ traceId: string | null; spans: WireSpan[] }> {
  const response = await fetch(`${ctx.ingestUrl}/v1/traces/${encodeURIComponent(sessionId)}`, {
    headers: { authorization: `Bearer ${ctx.apiKey}` },
  });
  ok(response.status === 200, `GET /v1/traces/${sessionId}: expected 200, got ${response.status}`);
  const body = (await response.json()) as { traceId: string | null };
  return { traceId: body.traceId, spans: spansOf(body) };
}

/** Spans of `traceId` the Cekura stand-in received, once `count` have arrived (polls its HTTP API). */
export async function standInSpans(standInUrl: string, traceId: string, count: number): Promise<WireSpan[]> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const response = await fetch(`${standInUrl}/__standin/requests`);
    const { requests } = (await response.json()) as {
      requests: { endpoint: string; stored: boolean; body: unknown }[];
    };
    const spans = spansOf(...requests.filter((r) => r.endpoint === "traces" && r.stored).map((r) => r.body)).filter(
      (s) => s.traceId === traceId,
    );
    if (spans.length >= count || Date.now() > deadline) return spans;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A comparable view of a span tree: ids, parents, names and attributes. */
export const comparableTree = (spans: WireSpan[]) =>
  spans
    .map((s) => ({
      traceId: s.traceId,
      spanId: s.spanId,
      parentSpanId: s.parentSpanId || "",
      name: s.name,
      attributes: s.attributes ?? [],
    }))
    .sort((a, b) => a.spanId.localeCompare(b.spanId));

export const cases: SdkCase[] = [
  {
    name: "otel: a 3-turn call with an interruption and a tool call reaches the Worker as Pipecat's span tree, linked to the record",
    async run(ctx) {
      const { cekura, errors } = caseTracer(ctx);
      const s = cekura.observe({ sessionId: sid(ctx, "otel"), additionalSpanAttributes: { deployment: "suite" } });
      await scriptedCall(s);
      await s.close({ reason: "customer-ended-call" });
      noErrors(errors, "no background errors");
      const received = await workerSpans(ctx, s.id);
      const traceId = checkScriptedTree(received.spans, s.id);
      equal(received.traceId, traceId, "the Worker linked the session to the conversation's trace");
      equal((await getRecord(ctx, s.id)).traceId, traceId, "the record carries the trace id");
      if (ctx.standInUrl) {
        const forwarded = await standInSpans(ctx.standInUrl, traceId, received.spans.length);
        equal(
          comparableTree(forwarded),
          comparableTree(received.spans),
          "the stand-in OTel endpoint received the same span tree",
        );
      }
    },
  },
  {
    name: "otel: enableOtelTraces false sends no spans and startTurn() is a no-op",
    async run(ctx) {
      const sent: string[] = [];
      const fetchSpy = (input: string | URL | Request, init?: RequestInit) => {
        sent.push(typeof input === "string" ? input : input instanceof URL ? input.href : input.url);
        return fetch(input, init);
      };
      const { cekura } = caseTracer(ctx, { enableOtelTraces: false, fetch: fetchSpy });
      const s = cekura.observe({ sessionId: sid(ctx, "otel-off") });
      const turn = s.startTurn();
      turn.stt({ provider: "p" }).text("x").end();
      turn.end({ interrupted: true });
      s.transcript({ role: "user", text: "no traces" });
      await s.close();
      ok(
        sent.length > 0 && sent.every((url) => !url.includes("/v1/traces")),
        `no request went to /v1/traces: ${sent.join(", ")}`,
      );
      equal((await workerSpans(ctx, s.id)).spans.length, 0, "the Worker holds no spans");
      equal((await getRecord(ctx, s.id)).traceId, null, "the record has no trace id");
    },
  },
];
