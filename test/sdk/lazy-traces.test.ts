/**
 * OpenTelemetry is imported lazily: turns started before that import has landed are recorded with
 * their own times and replayed on the real spans, so the Worker receives the same tree at the same
 * times as if OTel had been loaded all along.
 */
import { describe, expect, it } from "vitest";
import { CekuraTracer } from "../../sdk/index.ts";
import { useLocalWorker } from "../support/sdk-fixtures.ts";
import { attr, spansOf, type WireSpan } from "./cases/otel.ts";

const worker = useLocalWorker();
const apiKey = `lazy-traces-${crypto.randomUUID()}`;

const ms = (span: WireSpan, edge: "start" | "end") =>
  Number(BigInt(edge === "start" ? span.startTimeUnixNano : span.endTimeUnixNano) / 1_000_000n);
/** Holds the thread, so consecutive calls are measurably apart and the OTel import cannot land in between. */
const busy = (forMs: number) => {
  const until = Date.now() + forMs;
  while (Date.now() < until);
};

describe("lazily loaded traces", () => {
  it("a turn recorded before OpenTelemetry loaded reaches the Worker as the same span tree, at the times of the calls", async () => {
    const errors: unknown[] = [];
    // The first tracer in this process: its construction starts the OTel import, which cannot land
    // before the synchronous calls below have returned.
    const cekura = new CekuraTracer({ apiKey, agentId: 93, ingestUrl: worker.url, onError: (e) => errors.push(e) });
    const sessionId = `lazy-${crypto.randomUUID()}`;
    const session = cekura.observe({ sessionId });
    const turnAt = Date.now();
    const turn = session.startTurn();
    busy(40);
    const llmAt = Date.now();
    const llm = turn.llm({ provider: "openai", model: "gpt-4o" }).ttfb(0.2).text("Friday works.");
    busy(40);
    const llmEndAt = Date.now();
    llm.end();
    session.toolCall({ id: "t1", name: "book", arguments: { day: "fri" } });
    session.toolResult({ id: "t1", result: { ok: true } });
    turn.end();
    expect(turn.number).toBe(1);
    session.transcript({ role: "user", text: "hello" });
    await session.close();
    expect(errors).toEqual([]);

    const response = await fetch(`${worker.url}/v1/traces/${sessionId}`, {
      headers: { authorization: `Bearer ${apiKey}` },
    });
    expect(response.status).toBe(200);
    const spans = spansOf(await response.json());
    const byName = (name: string) => spans.find((s) => s.name === name);
    const conversation = byName("conversation")!;
    const turnSpan = byName("turn")!;
    const llmSpan = byName("llm")!;
    const tool = spans.find((s) => s.name.startsWith("tool"))!;
    expect([conversation, turnSpan, llmSpan, tool].every(Boolean)).toBe(true);
    expect(turnSpan.parentSpanId).toBe(conversation.spanId);
    expect(llmSpan.parentSpanId).toBe(turnSpan.spanId);
    expect(tool.parentSpanId).toBe(llmSpan.spanId); // as Pipecat: function calls under the llm span
    expect(attr(llmSpan, "gen_ai.request.model") ?? attr(llmSpan, "llm.model")).toBeDefined();
    // Times are the calls' own (to the ms and a little), not the moment the replay ran.
    expect(Math.abs(ms(turnSpan, "start") - turnAt)).toBeLessThanOrEqual(5);
    expect(Math.abs(ms(llmSpan, "start") - llmAt)).toBeLessThanOrEqual(5);
    expect(Math.abs(ms(llmSpan, "end") - llmEndAt)).toBeLessThanOrEqual(5);
    expect(ms(llmSpan, "start") - ms(turnSpan, "start")).toBeGreaterThanOrEqual(35);
  });
});
