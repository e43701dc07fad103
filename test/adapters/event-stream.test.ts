/**
 * The generic event-stream adapter (the pattern in docs/adapters.md): an agent that is just an EventEmitter,
 * mapped in a few lines; the record, span tree and audio come back from the real local Worker.
 */
import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import { observeEventStream, type Recorder } from "../../sdk/adapters/event-stream.ts";
import { attr, tone, uid, useHarness } from "./support.ts";

const h = useHarness();

describe("observeEventStream (generic adapter)", () => {
  it("maps a custom agent's events to a complete record; a throwing handler reaches onError, never the agent", async () => {
    const agent = new EventEmitter();
    const sessionId = uid("event-stream");
    const adapterErrors: unknown[] = [];
    const observed = observeEventStream(
      h.tracer(),
      agent,
      {
        user_said: (rec: Recorder, e: { text: string; startedAt: number; endedAt: number }) =>
          rec.transcript("user", e.text, e.startedAt, e.endedAt),
        bot_said: (rec: Recorder, e: { text: string }) => {
          rec.transcript("assistant", e.text);
          rec.endTurn();
        },
        tool_start: (rec: Recorder, e: { id: string; name: string; args: string }) =>
          rec.toolCall(e.id, e.name, e.args),
        tool_end: (rec: Recorder, e: { id: string; result: unknown }) => rec.toolResult(e.id, e.result),
        llm_done: (rec: Recorder, e: { model: string; usage: { inputTokens: number; outputTokens: number } }) =>
          rec.turn()?.llm({ provider: "openai", model: e.model }).usage(e.usage).end(),
        audio_in: (rec: Recorder, e: { pcm: Int16Array }) => rec.audio("user", e.pcm, 16000),
        audio_out: (rec: Recorder, e: { pcm: Uint8Array }) => rec.audio("assistant", e.pcm, 16000),
        broken: () => {
          throw new Error("bug in a handler");
        },
        ended: (rec: Recorder) => void rec.close("customer-ended-call"),
      },
      { sessionId, onError: (e) => adapterErrors.push(e) },
    );

    const t0 = Date.now() - 10_000;
    agent.emit("audio_in", { pcm: tone(16000, 200, 0.5) });
    agent.emit("user_said", { text: "Cancel my order", startedAt: t0, endedAt: t0 + 900 });
    agent.emit("tool_start", { id: "t1", name: "cancel_order", args: '{"order":42}' });
    agent.emit("tool_end", { id: "t1", result: { cancelled: true } });
    agent.emit("llm_done", { model: "gpt-4o", usage: { inputTokens: 50, outputTokens: 7 } });
    const out = tone(16000, 400, 0.5);
    agent.emit("audio_out", { pcm: new Uint8Array(out.buffer) });
    expect(() => agent.emit("broken")).not.toThrow();
    agent.emit("bot_said", { text: "Your order is cancelled." });
    agent.emit("ended");
    agent.emit("user_said", { text: "after the end", startedAt: Date.now(), endedAt: Date.now() });

    const status = await observed.closed;
    expect(status?.state).toBe("finalized");
    expect(adapterErrors.map((e) => (e as Error).message)).toEqual(["bug in a handler"]);
    expect(agent.listenerCount("user_said")).toBe(0); // close() unsubscribed
    expect(h.errors).toEqual([]);

    const record = await h.record(sessionId);
    expect(record.transcript.map((t) => [t.role, t.text])).toEqual([
      ["user", "Cancel my order"],
      ["assistant", "Your order is cancelled."],
    ]);
    expect(record.toolCalls).toMatchObject([
      { id: "t1", name: "cancel_order", arguments: '{"order":42}', result: '{"cancelled":true}', isError: false },
    ]);
    const spans = await h.spans(sessionId);
    const [llm] = spans.filter((s) => s.name === "llm");
    expect([attr(llm!, "gen_ai.request.model"), attr(llm!, "gen_ai.usage.input_tokens")]).toEqual(["gpt-4o", 50]);
    expect(spans.filter((s) => s.name === "turn")).toHaveLength(1);
    expect(record.audio).not.toBeNull();
    expect(record.audio!.durationSeconds).toBeGreaterThanOrEqual(0.5);
  });
});
