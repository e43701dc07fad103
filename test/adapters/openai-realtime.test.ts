/**
 * observeRealtimeSession: the framework's real RealtimeSession (with a real RealtimeAgent and a real
 * tool) over a scripted transport layer that emits what a real call emits. Fully offline: the only
 * network is the local Worker on 127.0.0.1. One line of adapter yields the whole record.
 */
import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  RealtimeAgent,
  RealtimeSession,
  tool,
  type RealtimeItem,
  type RealtimeTransportLayer,
  type TransportToolCallEvent,
} from "@openai/agents-realtime";
import { Usage } from "@openai/agents-core"; // the class the real transport emits (dependency of agents-realtime)
import { observeRealtimeSession } from "../../sdk/adapters/openai-realtime.ts";
import { attr, tone, uid, UTC_MS, useHarness } from "./support.ts";

/** A transport that plays a call: every method the session calls is real; events are scripted. */
class ScriptedTransport extends EventEmitter {
  status: "connected" | "disconnected" | "connecting" | "disconnecting" = "disconnected";
  readonly muted = null;
  readonly userAudio: ArrayBuffer[] = [];
  readonly toolOutputs: { callId: string; output: string }[] = [];
  #toolOutput: ((v: void) => void) | undefined;

  async connect(): Promise<void> {
    this.status = "connected";
    this.emit("connection_change", "connected");
  }
  sendEvent(): void {}
  requestResponse(): void {}
  sendMessage(): void {}
  addImage(): void {}
  sendAudio(audio: ArrayBuffer): void {
    this.userAudio.push(audio);
  }
  updateSessionConfig(): void {}
  close(): void {
    this.status = "disconnected";
    this.emit("connection_change", "disconnected");
  }
  mute(): void {}
  interrupt(): void {}
  resetHistory(): void {}
  sendMcpResponse(): void {}
  sendFunctionCallOutput(toolCall: TransportToolCallEvent, output: string): void {
    this.toolOutputs.push({ callId: toolCall.callId, output });
    this.item({
      itemId: toolCall.id!,
      type: "function_call",
      status: "completed",
      name: toolCall.name,
      arguments: toolCall.arguments,
      output,
    });
    this.#toolOutput?.();
  }
  toolOutputSent(): Promise<void> {
    return new Promise((resolve) => (this.#toolOutput = resolve));
  }

  item(item: RealtimeItem): void {
    this.emit("item_update", item);
  }
  raw(event: { type: string; [k: string]: unknown }): void {
    this.emit("*", event);
  }
  responseStarted(id: string): void {
    this.emit("turn_started", { type: "response_started", providerData: { response: { id } } });
  }
  responseDone(id: string, output: unknown[], inputTokens: number, outputTokens: number): void {
    const usage = {
      inputTokens,
      outputTokens,
      totalTokens: inputTokens + outputTokens,
      inputTokensDetails: {},
      outputTokensDetails: {},
    };
    this.emit("usage_update", new Usage(usage)); // as OpenAIRealtimeBase does on response.done
    this.emit("turn_done", { type: "response_done", response: { id, output, usage } });
  }
}

const RATE = 24_000;
const h = useHarness();

describe("observeRealtimeSession (@openai/agents-realtime)", () => {
  it("one line records a scripted realtime call: transcript with times, paired tool call, llm spans with usage, both audio channels, closed on session.close()", async () => {
    const getWeather = tool({
      name: "get_weather",
      description: "Weather for a city",
      parameters: z.object({ city: z.string() }),
      execute: async ({ city }) => ({ city, tempC: 18 }),
    });
    const agent = new RealtimeAgent({ name: "Assistant", instructions: "Be brief.", tools: [getWeather] });
    const transport = new ScriptedTransport();
    const session = new RealtimeSession(agent, {
      transport: transport as unknown as RealtimeTransportLayer,
      model: "gpt-realtime",
    });
    const sessionId = uid("openai-rt");

    const observed = observeRealtimeSession(h.tracer(), session, { sessionId }); // <- the one line

    await session.connect({ apiKey: "offline" });
    const userPcm = tone(RATE, 220, 0.5);
    session.sendAudio(userPcm.buffer as ArrayBuffer);
    expect(transport.userAudio).toHaveLength(1); // the app's audio still reaches the model

    // Turn 1: the user asks (server VAD marks the speech); the model calls a tool.
    const beforeSpeech = new Date().toISOString();
    transport.raw({ type: "input_audio_buffer.speech_started", item_id: "item_u1", audio_start_ms: 0 });
    await new Promise((r) => setTimeout(r, 30));
    transport.raw({ type: "input_audio_buffer.speech_stopped", item_id: "item_u1", audio_end_ms: 30 });
    const afterSpeech = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 30));
    transport.item({
      itemId: "item_u1",
      type: "message",
      role: "user",
      status: "in_progress",
      content: [{ type: "input_audio", transcript: null }],
    });
    transport.raw({
      type: "conversation.item.input_audio_transcription.completed",
      item_id: "item_u1",
      transcript: "What's the weather in Paris?",
    });
    transport.responseStarted("resp_1");
    const sent = transport.toolOutputSent();
    transport.item({
      itemId: "item_fc1",
      type: "function_call",
      status: "in_progress",
      name: "get_weather",
      arguments: '{"city":"Paris"}',
      output: null,
    });
    transport.emit("function_call", {
      type: "function_call",
      id: "item_fc1",
      callId: "call_1",
      name: "get_weather",
      arguments: '{"city":"Paris"}',
      responseId: "resp_1",
    });
    await sent;
    transport.responseDone(
      "resp_1",
      [{ type: "function_call", id: "item_fc1", name: "get_weather", arguments: '{"city":"Paris"}' }],
      120,
      14,
    );

    // Turn 2: the model answers with audio and its transcript.
    transport.responseStarted("resp_2");
    transport.item({
      itemId: "item_a1",
      type: "message",
      role: "assistant",
      status: "in_progress",
      content: [{ type: "output_audio", transcript: "" }],
    });
    const botPcm = tone(RATE, 440, 0.5);
    transport.emit("audio", {
      type: "audio",
      data: botPcm.buffer.slice(0, botPcm.byteLength / 2),
      responseId: "resp_2",
    });
    transport.emit("audio_transcript_delta", {
      type: "transcript_delta",
      itemId: "item_a1",
      delta: "It is 18 degrees",
      responseId: "resp_2",
    });
    transport.emit("audio", { type: "audio", data: botPcm.buffer.slice(botPcm.byteLength / 2), responseId: "resp_2" });
    transport.emit("audio_done");
    transport.item({
      itemId: "item_a1",
      type: "message",
      role: "assistant",
      status: "completed",
      content: [{ type: "output_audio", transcript: "It is 18 degrees in Paris." }],
    });
    transport.responseDone(
      "resp_2",
      [
        {
          type: "message",
          id: "item_a1",
          role: "assistant",
          content: [{ type: "output_audio", transcript: "It is 18 degrees in Paris." }],
        },
      ],
      150,
      40,
    );

    session.close(); // the realtime session ends -> the adapter closes the Cekura session
    await h.finalized(observed.closed);
    expect(transport.toolOutputs).toEqual([{ callId: "call_1", output: '{"city":"Paris","tempC":18}' }]);

    const record = await h.record(sessionId);
    expect(record.transcript.map((t) => [t.role, t.text])).toEqual([
      ["user", "What's the weather in Paris?"],
      ["assistant", "It is 18 degrees in Paris."],
    ]);
    for (const t of record.transcript) {
      expect(t.startedAt).toMatch(UTC_MS);
      expect(t.endedAt >= t.startedAt).toBe(true);
    }
    // The user's turn spans the VAD's speech, not the later transcription.
    const user = record.transcript[0]!;
    expect(user.startedAt >= beforeSpeech && user.endedAt <= afterSpeech).toBe(true);
    expect(user.endedAt > user.startedAt).toBe(true);
    expect(record.toolCalls).toHaveLength(1);
    expect(record.toolCalls[0]).toMatchObject({ id: "call_1", name: "get_weather", isError: false });
    expect(JSON.parse(record.toolCalls[0]!.arguments!)).toEqual({ city: "Paris" });
    expect(JSON.parse(record.toolCalls[0]!.result!)).toEqual({ city: "Paris", tempC: 18 });

    const spans = await h.spans(sessionId);
    const turns = spans.filter((s) => s.name === "turn");
    const llms = spans.filter((s) => s.name === "llm");
    expect(turns).toHaveLength(2);
    const llmFigures = llms.map((s) => [
      attr(s, "gen_ai.request.model"),
      attr(s, "gen_ai.usage.input_tokens"),
      attr(s, "gen_ai.usage.output_tokens"),
    ]);
    expect(llmFigures.sort((a, b) => Number(a[1]) - Number(b[1]))).toEqual([
      ["gpt-realtime", 120, 14],
      ["gpt-realtime", 150, 40],
    ]);
    expect(llms.every((s) => turns.some((t) => t.spanId === s.parentSpanId))).toBe(true);
    const answer = llms.find((s) => attr(s, "output") === "It is 18 degrees in Paris.");
    expect(answer && typeof attr(answer, "metrics.ttfb")).toBe("number");
    const toolSpan = spans.find((s) => s.name === "tool_call");
    expect(toolSpan && attr(toolSpan, "function.name")).toBe("get_weather");
    expect(record.traceId).toBe(spans[0]!.traceId);

    expect(record.audio).not.toBeNull();
    expect(record.audio!.durationSeconds).toBeGreaterThan(0);
  });

  it("an error from the realtime session is logged and closes the Cekura session", async () => {
    const transport = new ScriptedTransport();
    const session = new RealtimeSession(new RealtimeAgent({ name: "A" }), {
      transport: transport as unknown as RealtimeTransportLayer,
    });
    const sessionId = uid("openai-rt-error");
    const observed = observeRealtimeSession(h.tracer(), session, { sessionId, mode: "track" });
    await session.connect({ apiKey: "offline" });
    transport.item({
      itemId: "u1",
      type: "message",
      role: "user",
      status: "completed",
      content: [{ type: "input_text", text: "hello" }],
    });
    transport.item({
      itemId: "a1",
      type: "message",
      role: "assistant",
      status: "in_progress",
      content: [{ type: "output_audio", transcript: "Hi, how can" }],
    });
    transport.emit("error", { type: "error", error: { message: "rate limited" } });
    const status = await observed.closed;
    expect(status?.state).toBe("finalized");
    const record = await h.record(sessionId);
    expect(record.mode).toBe("track");
    expect(record.transcript.map((t) => [t.role, t.text])).toEqual([
      ["user", "hello"],
      ["assistant", "Hi, how can"],
    ]);
    expect(record.logs.map((l) => [l.level, l.message])).toEqual([
      ["error", 'realtime session error: {"message":"rate limited"}'],
    ]);
    session.close(); // after the Cekura session closed: nothing more is recorded, nothing throws
    expect(h.errors).toEqual([]);
  });
});
