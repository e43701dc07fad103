/**
 * Golden: span names and attribute keys the SDK writes are Pipecat's (src/pipecat/utils/tracing/
 * service_attributes.py at pipecat-ai/pipecat 0287a02, add_stt/llm/tts/function_call_span_attributes,
 * and the conversation/turn spans of its turn tracing), plus only what Cekura's trace view reads
 * (../shared/cekura-contract.md: the `tool_call` span name and `function.name`).
 */
import { describe, expect, it } from "vitest";
import { SessionTracing } from "../../sdk/otel/index.ts";
import { spansOf, type WireSpan } from "../sdk/cases/otel.ts";

const PIPECAT = {
  conversation: ["conversation.id", "conversation.type"],
  turn: [
    "conversation.id",
    "turn.number",
    "turn.type",
    "turn.duration_seconds",
    "turn.was_interrupted",
    "turn.user_bot_latency_seconds",
  ],
  stt: [
    "gen_ai.provider.name",
    "gen_ai.request.model",
    "gen_ai.operation.name",
    "vad_enabled",
    "transcript",
    "is_final",
    "language",
    "user_id",
    "metrics.ttfb",
  ],
  llm: [
    "gen_ai.provider.name",
    "gen_ai.request.model",
    "gen_ai.operation.name",
    "gen_ai.output.type",
    "stream",
    "input",
    "output",
    "tools",
    "tool_count",
    "tool_choice",
    "gen_ai.system_instructions",
    "metrics.ttfb",
    "gen_ai.usage.input_tokens",
    "gen_ai.usage.output_tokens",
  ],
  tts: [
    "gen_ai.provider.name",
    "gen_ai.request.model",
    "gen_ai.operation.name",
    "gen_ai.output.type",
    "voice_id",
    "text",
    "metrics.character_count",
    "metrics.ttfb",
  ],
  tool_call: ["tool.function_name", "tool.call_id", "tool.arguments", "tool.result", "tool.result_status"],
} as const;
/** Kept beside Pipecat's names because Cekura's trace view reads them (cekura-contract.md). */
const CEKURA = { tool_call: ["function.name"] } as Record<string, string[]>;

async function fullCall(): Promise<WireSpan[]> {
  const spans: WireSpan[] = [];
  const tracing = new SessionTracing({
    sessionId: "golden",
    sink: async (b) => void spans.push(...spansOf(JSON.parse(new TextDecoder().decode(b)))),
  });
  const turn = tracing.startTurn();
  turn.stt({ provider: "deepgram", model: "nova-3", language: "en" }).ttfb(0.1).text("hi", { isFinal: true }).end();
  const llm = turn.llm({ provider: "openai", model: "gpt-4o", tools: [{ name: "lookup" }, "book"] });
  llm
    .input([{ role: "user", content: "hi" }])
    .ttfb(0.2)
    .text("ok")
    .usage({ inputTokens: 3, outputTokens: 1 });
  turn.toolCall({ id: "c1", name: "lookup", input: { q: 1 } }).end({ output: { ok: true } });
  llm.end();
  turn.toolCall({ id: "c2", name: "book", input: "{}" }).end({ output: "no", isError: true });
  turn.tts({ provider: "cartesia", model: "sonic", voiceId: "v" }).ttfb(0.3).text("ok").end();
  turn.end({ userBotLatencySeconds: 0.8 });
  await tracing.close();
  return spans;
}

describe("span names and attribute keys follow Pipecat", () => {
  it("every span name is Pipecat's (or Cekura's tool_call) and every key is Pipecat's for that span", async () => {
    const spans = await fullCall();
    expect(new Set(spans.map((s) => s.name))).toEqual(new Set(Object.keys(PIPECAT)));
    for (const span of spans) {
      const allowed = new Set<string>([...PIPECAT[span.name as keyof typeof PIPECAT], ...(CEKURA[span.name] ?? [])]);
      const keys = (span.attributes ?? []).map((a) => a.key);
      expect(
        keys.filter((k) => !allowed.has(k)),
        span.name,
      ).toEqual([]);
    }
  });

  it("tool calls sit under the llm span, with Pipecat's values (JSON arguments and result, success/error)", async () => {
    const spans = await fullCall();
    const llm = spans.find((s) => s.name === "llm")!;
    const tools = spans.filter((s) => s.name === "tool_call");
    expect(tools.map((t) => t.parentSpanId)).toEqual([llm.spanId, llm.spanId]);
    const value = (s: WireSpan, k: string) => {
      const v = (s.attributes ?? []).find((a) => a.key === k)?.value;
      return v && Object.values(v)[0];
    };
    expect(
      tools.map((t) => [value(t, "tool.function_name"), value(t, "tool.arguments"), value(t, "tool.result")]),
    ).toEqual([
      ["lookup", '{"q":1}', '{"ok":true}'],
      ["book", "{}", "no"],
    ]);
    expect(tools.map((t) => value(t, "tool.result_status"))).toEqual(["success", "error"]);
    expect(value(llm, "tool_count")).toBe(2);
    expect(value(llm, "gen_ai.output.type")).toBe("text");
    expect(value(spans.find((s) => s.name === "tts")!, "gen_ai.output.type")).toBe("speech");
  });
});
