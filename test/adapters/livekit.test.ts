/**
 * observeLiveKitSession: a real @livekit/agents voice.AgentSession (no room, no models) emitting a
 * recorded call's event sequence, every event built with the framework's own constructors
 * (createConversationItemAddedEvent, ChatMessage, FunctionCall, ...). The audio tests
 * (livekit-*-audio.test.ts) run the session's own pipeline with scripted STT / LLM / TTS nodes.
 */
import { describe, expect, it } from "vitest";
import { initializeLogger, llm, voice, type metrics } from "@livekit/agents";
import { AudioFrame } from "@livekit/rtc-node";
import { observeLiveKitSession } from "../../sdk/adapters/livekit.ts";
import { attr, tone, uid, UTC_MS, useHarness } from "./support.ts";

/** An audio sink as RoomIO installs one: it plays each segment at once and reports it (the real AudioOutput base class does the bookkeeping). */
class SpeakerOutput extends voice.AudioOutput {
  readonly frames: AudioFrame[] = [];
  #seconds = 0;
  override async captureFrame(frame: AudioFrame): Promise<void> {
    await super.captureFrame(frame);
    if (this.#seconds === 0) this.onPlaybackStarted(Date.now());
    this.#seconds += frame.samplesPerChannel / frame.sampleRate;
    this.frames.push(frame);
  }
  override flush(): void {
    super.flush();
    this.onPlaybackFinished({ playbackPosition: this.#seconds, interrupted: false });
    this.#seconds = 0;
  }
  clearBuffer(): void {
    this.frames.length = 0;
  }
}

initializeLogger({ pretty: false, level: "warn" });

const E = voice.AgentSessionEventTypes;
const meta = (modelProvider: string, modelName: string) => ({ modelProvider, modelName });

const sttMetrics = (): metrics.STTMetrics => ({
  type: "stt_metrics",
  label: "deepgram.STT",
  requestId: "req-stt",
  timestamp: Date.now(),
  durationMs: 0,
  audioDurationMs: 1800,
  streamed: true,
  metadata: meta("deepgram", "nova-3"),
});
/** The user says `text` (after an interim transcript, if given): transcribed, STT metrics, then the chat item. */
function userTurn(session: voice.AgentSession, text: string, startedAt: number, stoppedAt: number, interim?: string) {
  if (interim !== undefined)
    session.emit(
      E.UserInputTranscribed,
      voice.createUserInputTranscribedEvent({ transcript: interim, isFinal: false }),
    );
  session.emit(E.UserInputTranscribed, voice.createUserInputTranscribedEvent({ transcript: text, isFinal: true }));
  session.emit(E.MetricsCollected, voice.createMetricsCollectedEvent({ metrics: sttMetrics() }));
  const message = new llm.ChatMessage({
    role: "user",
    content: text,
    metrics: { startedSpeakingAt: startedAt, stoppedSpeakingAt: stoppedAt },
  });
  session.emit(E.ConversationItemAdded, voice.createConversationItemAddedEvent(message));
}

const llmMetrics = (promptTokens: number, completionTokens: number, ttftMs: number): metrics.LLMMetrics => ({
  type: "llm_metrics",
  label: "openai.LLM",
  requestId: `req-${promptTokens}`,
  timestamp: Date.now(),
  durationMs: 900,
  ttftMs,
  cancelled: false,
  completionTokens,
  promptTokens,
  promptCachedTokens: 0,
  totalTokens: promptTokens + completionTokens,
  tokensPerSecond: 20,
  speechId: "speech-1",
  metadata: meta("openai", "gpt-4o-mini"),
});
const ttsMetrics = (charactersCount: number): metrics.TTSMetrics => ({
  type: "tts_metrics",
  label: "cartesia.TTS",
  requestId: "req-tts",
  timestamp: Date.now(),
  ttfbMs: 95,
  durationMs: 700,
  audioDurationMs: 2100,
  cancelled: false,
  charactersCount,
  streamed: true,
  speechId: "speech-1",
  metadata: meta("cartesia", "sonic-2"),
});

const h = useHarness();

describe("observeLiveKitSession (@livekit/agents)", () => {
  it("one line records a LiveKit call: transcript with speaking times, paired tool calls, stt/llm/tts spans with TTFB and tokens, closed on close", async () => {
    const session = new voice.AgentSession({});
    const sessionId = uid("livekit");

    const observed = observeLiveKitSession(h.tracer(), session, { sessionId }); // <- the one line

    const t0 = Date.now() / 1000 - 30; // LiveKit's speaking times are seconds since the epoch
    // Turn 1: user asks, the agent calls a tool, then answers.
    userTurn(session, "What's the weather in Paris?", t0, t0 + 1.8, "What's the");
    session.emit(E.MetricsCollected, voice.createMetricsCollectedEvent({ metrics: llmMetrics(120, 14, 350) }));
    session.emit(
      E.FunctionToolsExecuted,
      voice.createFunctionToolsExecutedEvent({
        functionCalls: [new llm.FunctionCall({ callId: "call-1", name: "get_weather", args: '{"city":"Paris"}' })],
        functionCallOutputs: [
          new llm.FunctionCallOutput({ callId: "call-1", name: "get_weather", output: '{"tempC":18}', isError: false }),
        ],
      }),
    );
    session.emit(E.MetricsCollected, voice.createMetricsCollectedEvent({ metrics: llmMetrics(160, 9, 280) }));
    session.emit(E.MetricsCollected, voice.createMetricsCollectedEvent({ metrics: ttsMetrics(26) }));
    // The agent speaks through the session's audio output (installed at start, as RoomIO does).
    const speaker = new SpeakerOutput(24_000);
    session.output.audio = speaker;
    session.emit(E.AgentStateChanged, voice.createAgentStateChangedEvent("thinking", "speaking"));
    const speech = tone(24_000, 330, 0.6);
    for (let i = 0; i < speech.length; i += 2400)
      await speaker.captureFrame(new AudioFrame(speech.slice(i, i + 2400), 24_000, 1, 2400));
    expect(speaker.frames).toHaveLength(6); // the app's output still gets every frame
    speaker.flush();
    session.emit(
      E.ConversationItemAdded,
      voice.createConversationItemAddedEvent(
        new llm.ChatMessage({
          role: "assistant",
          content: "It is 18 degrees in Paris.",
          metrics: { startedSpeakingAt: t0 + 2.6, stoppedSpeakingAt: t0 + 4.7 },
        }),
      ),
    );
    // Turn 2: a failing tool, and the user interrupts the reply.
    userTurn(session, "Book a table", t0 + 6, t0 + 7);
    session.emit(
      E.FunctionToolsExecuted,
      voice.createFunctionToolsExecutedEvent({
        functionCalls: [new llm.FunctionCall({ callId: "call-2", name: "book_table", args: "{}" })],
        functionCallOutputs: [
          new llm.FunctionCallOutput({
            callId: "call-2",
            name: "book_table",
            output: "restaurant closed",
            isError: true,
          }),
        ],
      }),
    );
    session.emit(E.MetricsCollected, voice.createMetricsCollectedEvent({ metrics: llmMetrics(200, 5, 300) }));
    session.emit(
      E.ConversationItemAdded,
      voice.createConversationItemAddedEvent(
        new llm.ChatMessage({
          role: "assistant",
          content: "Sorry, the restaurant",
          interrupted: true,
          metrics: { startedSpeakingAt: t0 + 8, stoppedSpeakingAt: t0 + 8.5 },
        }),
      ),
    );
    session.emit(E.Close, voice.createCloseEvent(voice.CloseReason.PARTICIPANT_DISCONNECTED));

    await h.finalized(observed.closed);

    const record = await h.record(sessionId);
    expect(record.transcript.map((t) => [t.role, t.text])).toEqual([
      ["user", "What's the weather in Paris?"],
      ["assistant", "It is 18 degrees in Paris."],
      ["user", "Book a table"],
      ["assistant", "Sorry, the restaurant"],
    ]);
    expect(record.transcript[0]!.startedAt).toBe(new Date(Math.round(t0 * 1000)).toISOString());
    expect(record.transcript[0]!.endedAt).toBe(new Date(Math.round((t0 + 1.8) * 1000)).toISOString());
    for (const t of record.transcript) expect(t.endedAt).toMatch(UTC_MS);
    const tools = Object.fromEntries(record.toolCalls.map((c) => [c.id, c]));
    expect(tools["call-1"]).toMatchObject({
      name: "get_weather",
      isError: false,
      arguments: '{"city":"Paris"}',
      result: '{"tempC":18}',
    });
    expect(tools["call-2"]).toMatchObject({ name: "book_table", isError: true, result: '"restaurant closed"' });

    const spans = await h.spans(sessionId);
    const turns = spans
      .filter((s) => s.name === "turn")
      .sort((a, b) => Number(attr(a, "turn.number")) - Number(attr(b, "turn.number")));
    expect(turns.map((t) => attr(t, "turn.was_interrupted"))).toEqual([false, true]);
    const under = (turn: number, name: string) =>
      spans.filter((s) => s.name === name && s.parentSpanId === turns[turn]!.spanId);
    expect(
      under(0, "llm")
        .map((s) => [
          attr(s, "gen_ai.usage.input_tokens"),
          attr(s, "gen_ai.usage.output_tokens"),
          attr(s, "metrics.ttfb"),
        ])
        .sort(),
    ).toEqual([
      [120, 14, 0.35],
      [160, 9, 0.28],
    ]);
    const [stt] = under(0, "stt");
    expect([attr(stt!, "gen_ai.provider.name"), attr(stt!, "gen_ai.request.model"), attr(stt!, "transcript")]).toEqual([
      "deepgram",
      "nova-3",
      "What's the weather in Paris?",
    ]);
    const [tts] = under(0, "tts");
    expect([
      attr(tts!, "gen_ai.provider.name"),
      attr(tts!, "metrics.ttfb"),
      attr(tts!, "metrics.character_count"),
    ]).toEqual(["cartesia", 0.095, 26]);
    expect(under(1, "llm").map((s) => attr(s, "gen_ai.usage.input_tokens"))).toEqual([200]);
    expect(
      spans
        .filter((s) => s.name === "tool_call")
        .map((s) => attr(s, "function.name"))
        .sort(),
    ).toEqual(["book_table", "get_weather"]);

    expect(record.audio).not.toBeNull();
    expect(record.audio!.durationSeconds).toBeGreaterThanOrEqual(0.5);

    // Events after close record nothing and throw nothing.
    session.emit(
      E.ConversationItemAdded,
      voice.createConversationItemAddedEvent(new llm.ChatMessage({ role: "user", content: "late" })),
    );
    expect(h.errors).toEqual([]);
  });
});
