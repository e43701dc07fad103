/** SessionTracing on its own (no Worker): per-session providers, explicit parents, flush points. */
import { trace } from "@opentelemetry/api";
import { describe, expect, it } from "vitest";
import { SessionTracing } from "../../sdk/otel/index.ts";
import { attr, spansOf, type WireSpan } from "../sdk/cases/otel.ts";

function capture(sessionId: string) {
  const batches: WireSpan[][] = [];
  const tracing = new SessionTracing({
    sessionId,
    sink: async (body) => void batches.push(spansOf(JSON.parse(new TextDecoder().decode(body)))),
  });
  return { tracing, batches, all: () => batches.flat() };
}

describe("SessionTracing", () => {
  it("keeps two interleaved calls in one process apart and leaves the global tracer provider alone", async () => {
    const a = capture("call-a");
    const b = capture("call-b");
    const ta = a.tracing.startTurn();
    const tb = b.tracing.startTurn();
    const sttA = ta.stt({ provider: "x" });
    const sttB = tb.stt({ provider: "y" });
    a.tracing.toolCall({ id: "t1", name: "lookup", input: { q: 1 } });
    sttB.text("b").end();
    sttA.text("a").end();
    b.tracing.toolCall({ id: "t1", name: "other" });
    b.tracing.toolResult("t1", { output: "ok" });
    a.tracing.toolResult("t1", { output: "done" });
    tb.end();
    ta.end({ interrupted: true });
    await Promise.all([a.tracing.close(), b.tracing.close()]);

    expect(a.tracing.traceId).not.toBe(b.tracing.traceId);
    for (const [c, name, tool] of [
      [a, "a", "lookup"],
      [b, "b", "other"],
    ] as const) {
      const spans = c.all();
      expect(new Set(spans.map((s) => s.traceId))).toEqual(new Set([c.tracing.traceId]));
      const byName = (n: string) => spans.filter((s) => s.name === n);
      expect(byName("stt").map((s) => attr(s, "transcript"))).toEqual([name]);
      expect(byName("tool_call").map((s) => attr(s, "function.name"))).toEqual([tool]);
      expect(byName("tool_call")[0]!.parentSpanId).toBe(byName("turn")[0]!.spanId);
    }
    expect(trace.getTracer("global").startSpan("x").isRecording()).toBe(false);
  });

  it("sends at each turn end and at close; close ends an open turn as interrupted, then the conversation", async () => {
    const c = capture("call-c");
    const t1 = c.tracing.startTurn();
    t1.llm({ provider: "openai", model: "gpt-4o" }).end();
    expect(c.batches).toHaveLength(0);
    t1.end();
    await c.tracing.flush();
    expect(c.batches.map((b) => b.map((s) => s.name).sort())).toEqual([["llm", "turn"]]);
    const t2 = c.tracing.startTurn();
    t2.tts({ provider: "cartesia", voiceId: "v" }).text("cut off");
    await c.tracing.close();
    const last = c.batches.at(-1)!;
    expect(last.map((s) => s.name).sort()).toEqual(["conversation", "tts", "turn"]);
    const turn = last.find((s) => s.name === "turn")!;
    expect([attr(turn, "turn.number"), attr(turn, "turn.was_interrupted")]).toEqual([2, true]);
    expect(() => c.tracing.startTurn()).toThrow(/closed/);
  });

  it("reports a failed export to onError instead of throwing into the agent", async () => {
    const errors: unknown[] = [];
    const tracing = new SessionTracing({
      sessionId: "call-d",
      sink: () => Promise.reject(new Error("worker down")),
      onError: (e) => errors.push(e),
    });
    tracing.startTurn().end();
    await tracing.close();
    expect(errors.length).toBeGreaterThan(0);
    expect(new Set(errors.map((e) => (e as Error).message))).toEqual(new Set(["worker down"]));
  });
});
