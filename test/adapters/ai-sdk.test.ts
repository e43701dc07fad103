/**
 * observeAiSdk: the real `ai` package (tested at the declared lower bound, ai@5.0.0) with its own
 * MockLanguageModelV2, offline. A voice pipeline's turns go through wrapped generateText / streamText;
 * the record, tool calls and span tree are read back from the real local Worker.
 */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { generateText, stepCountIs, streamText, tool } from "ai";
import { MockLanguageModelV2, simulateReadableStream } from "ai/test";
import { observeAiSdk } from "../../sdk/adapters/ai-sdk.ts";
import { attr, uid, UTC_MS, useHarness } from "./support.ts";

const usage = (inputTokens: number, outputTokens: number) => ({
  inputTokens,
  outputTokens,
  totalTokens: inputTokens + outputTokens,
});

const weather = tool({
  description: "Weather for a city",
  inputSchema: z.object({ city: z.string() }),
  execute: async ({ city }) => {
    if (city === "Atlantis") throw new Error("no such city");
    return { city, tempC: 18 };
  },
});

const h = useHarness();

describe("observeAiSdk (ai@5)", () => {
  it("wrapped generateText and streamText record turns, paired tool calls (results and errors), llm spans with usage", async () => {
    let calls = 0;
    const model = new MockLanguageModelV2({
      provider: "openai.chat",
      modelId: "gpt-4o-mini",
      doGenerate: async () => {
        calls++;
        if (calls === 1) {
          return {
            content: [{ type: "tool-call", toolCallId: "call-1", toolName: "weather", input: '{"city":"Paris"}' }],
            finishReason: "tool-calls",
            usage: usage(100, 12),
            warnings: [],
          };
        }
        return {
          content: [{ type: "text", text: "It is 18 degrees in Paris." }],
          finishReason: "stop",
          usage: usage(130, 9),
          warnings: [],
        };
      },
      doStream: async () => ({
        stream: simulateReadableStream({
          chunks: [
            { type: "stream-start", warnings: [] },
            { type: "tool-call", toolCallId: "call-2", toolName: "weather", input: '{"city":"Atlantis"}' },
            { type: "finish", finishReason: "tool-calls", usage: usage(140, 10) },
          ],
        }),
      }),
    });
    const sessionId = uid("ai-sdk");

    const cekuraAi = observeAiSdk(h.tracer(), { sessionId }); // <- the one line (plus wrapping the functions)
    const traced = { generateText: cekuraAi.wrap(generateText), streamText: cekuraAi.wrap(streamText) };

    const stepsSeen: number[] = [];
    const first = await traced.generateText({
      model,
      tools: { weather },
      stopWhen: stepCountIs(3),
      prompt: "What's the weather in Paris?",
      onStepFinish: (step) => void stepsSeen.push(step.usage.inputTokens ?? 0), // the caller's own callback still runs
    });
    expect(first.text).toBe("It is 18 degrees in Paris.");
    expect(stepsSeen).toEqual([100, 130]);

    const second = traced.streamText({
      model,
      tools: { weather },
      messages: [
        { role: "user", content: "What's the weather in Paris?" },
        { role: "assistant", content: "It is 18 degrees in Paris." },
        { role: "user", content: [{ type: "text", text: "And in Atlantis?" }] },
      ],
    });
    await second.consumeStream();

    await h.finalized(cekuraAi.close());

    const record = await h.record(sessionId);
    expect(record.transcript.map((t) => [t.role, t.text])).toEqual([
      ["user", "What's the weather in Paris?"],
      ["assistant", "It is 18 degrees in Paris."],
      ["user", "And in Atlantis?"],
    ]);
    for (const t of record.transcript) expect(t.startedAt).toMatch(UTC_MS);
    const tools = Object.fromEntries(record.toolCalls.map((c) => [c.id, c]));
    expect(Object.keys(tools).sort()).toEqual(["call-1", "call-2"]);
    expect(tools["call-1"]).toMatchObject({ name: "weather", isError: false });
    expect(JSON.parse(tools["call-1"]!.arguments!)).toEqual({ city: "Paris" });
    expect(JSON.parse(tools["call-1"]!.result!)).toEqual({ city: "Paris", tempC: 18 });
    expect(tools["call-2"]).toMatchObject({ name: "weather", isError: true });
    expect(JSON.parse(tools["call-2"]!.result!)).toEqual({ error: "no such city" });

    const spans = await h.spans(sessionId);
    const turns = spans.filter((s) => s.name === "turn");
    expect(turns).toHaveLength(2);
    const llms = spans.filter((s) => s.name === "llm");
    expect(
      llms.every(
        (s) => attr(s, "gen_ai.provider.name") === "openai" && attr(s, "gen_ai.request.model") === "gpt-4o-mini",
      ),
    ).toBe(true);
    const tokens = llms
      .map((s) => [attr(s, "gen_ai.usage.input_tokens"), attr(s, "gen_ai.usage.output_tokens")])
      .sort((a, b) => Number(a[0]) - Number(b[0]));
    expect(tokens).toEqual([
      [100, 12],
      [130, 9],
      [140, 10],
    ]);
    const streamed = llms.find((s) => attr(s, "gen_ai.usage.input_tokens") === 140)!;
    expect(typeof attr(streamed, "metrics.ttfb")).toBe("number");
    expect(spans.filter((s) => s.name === "tool_call").map((s) => attr(s, "function.name"))).toEqual([
      "weather",
      "weather",
    ]);
  });

  it("a failing model call is logged, its turn ended, and the error still reaches the caller", async () => {
    const model = new MockLanguageModelV2({
      doGenerate: async () => {
        throw new Error("provider unavailable");
      },
    });
    const sessionId = uid("ai-sdk-fail");
    const cekuraAi = observeAiSdk(h.tracer(), { sessionId, mode: "track" });
    const gen = cekuraAi.wrap(generateText);
    await expect(gen({ model, prompt: "hello", maxRetries: 0 })).rejects.toThrow("provider unavailable");
    await cekuraAi.close("customer-ended-call");
    const record = await h.record(sessionId);
    expect(record.transcript.map((t) => t.text)).toEqual(["hello"]);
    expect(record.logs.map((l) => [l.level, l.message])).toEqual([
      ["error", "AI SDK call failed: provider unavailable"],
    ]);
    expect(h.errors).toEqual([]);
  });
});
