/**
 * LiveKit Agents for Node (`@livekit/agents` >= 1.9): one line records a voice.AgentSession.
 *
 * ```ts
 * import { observeLiveKitSession } from "cekura-edge-tracer/livekit";
 * observeLiveKitSession(cekura, session, { sessionId: ctx.room.name });   // before session.start(...)
 * ```
 * - conversation_item_added (user / assistant ChatMessage) -> transcript turns, timed by the message's
 *   metrics (startedSpeakingAt / stoppedSpeakingAt) or createdAt; an interrupted reply ends its turn
 *   as interrupted
 * - function_tools_executed -> tool calls paired with their outputs (isError kept)
 * - metrics_collected: stt_metrics / llm_metrics / tts_metrics / realtime_model_metrics -> stt / llm /
 *   tts spans of the current turn with provider, model, TTFB (ttftMs / ttfbMs) and tokens
 * - user_input_transcribed (final) -> `transcript` on the turn's stt span
 * - audio, both channels on the session's clock (`captureAudio: false` skips it):
 *   user: `session.input.audio` is wrapped as LiveKit's own recorder wraps it (again whenever RoomIO,
 *   LiveKit's recorder or the app assigns an input); every frame the session reads is recorded, after the
 *   session got it, where its arrival says it was captured;
 *   agent: frames given to `session.output.audio` are placed where the output's playback events say
 *   they played; what an interruption cleared never played and is not recorded
 * - error -> log line; close -> the Cekura session is closed (reason from the CloseEvent)
 * The user side subclasses LiveKit's own AudioInput, so this entry imports `@livekit/agents` at runtime.
 */
import type { metrics as lkmetrics, voice } from "@livekit/agents";
import type { CekuraTracer } from "../index.ts";
import {
  describeError as describe,
  listen,
  parseJsonText,
  Recorder,
  type AdapterOptions,
  type EventSource,
  type Observed,
} from "./event-stream.ts";
import { observeUserAudio } from "./livekit-input.ts";
import { AgentPlayout, CLOSE_PLAYOUT_TIMEOUT_MS, type PlaybackOutput } from "./livekit-playout.ts";
import { interceptAudioSlot } from "./livekit-slot.ts";

export interface LiveKitAdapterOptions extends AdapterOptions {
  /** Record both sides' audio: `session.input.audio` (user) and `session.output.audio` as played (agent). Default true. */
  captureAudio?: boolean;
}

export function observeLiveKitSession(
  cekura: CekuraTracer,
  session: voice.AgentSession,
  options: LiveKitAdapterOptions = {},
): Observed {
  const { captureAudio = true, ...base } = options;
  const rec = new Recorder(cekura, base);
  let assistantSpoke = false;
  const playout =
    captureAudio && cekura.enabled && rec.session.mode === "observe" ? recordAudio(rec, session) : undefined;
  let finalTranscript: string | undefined;

  /** A new user input after the assistant answered starts the next turn. */
  const userActivity = () => {
    if (assistantSpoke) {
      rec.endTurn();
      assistantSpoke = false;
    }
  };

  listen(rec, session as unknown as EventSource, {
    user_input_transcribed: (_r, event: voice.UserInputTranscribedEvent) => {
      if (!event.isFinal) return;
      userActivity();
      finalTranscript = event.transcript;
    },
    conversation_item_added: (r, event: voice.ConversationItemAddedEvent) => {
      const item = event.item;
      if (item.type !== "message") return;
      const text = item.textContent;
      const started = secondsToMs(item.metrics?.startedSpeakingAt) ?? item.createdAt;
      let ended = Math.max(started, secondsToMs(item.metrics?.stoppedSpeakingAt) ?? event.createdAt);
      // an interrupted reply ends where its audio stopped playing, as the recording shows it
      const playedUntil = playout?.playedUntil;
      if (
        item.role === "assistant" &&
        item.interrupted &&
        playedUntil !== undefined &&
        playedUntil > started &&
        playedUntil < ended
      )
        ended = Math.round(playedUntil);
      if (item.role === "user") {
        userActivity();
        r.transcript("user", text, started, ended);
      } else if (item.role === "assistant") {
        r.transcript("assistant", text, started, ended);
        assistantSpoke = true;
        if (item.interrupted) {
          r.endTurn({ interrupted: true });
          assistantSpoke = false;
        }
      }
    },
    function_tools_executed: (r, event: voice.FunctionToolsExecutedEvent) => {
      const outputs = new Map(event.functionCallOutputs.map((o) => [o.callId, o] as const));
      for (const call of event.functionCalls) {
        r.toolCall(call.callId, call.name, call.args);
        const out = outputs.get(call.callId);
        if (out) r.toolResult(call.callId, parseJsonText(out.output), out.isError, call.name);
      }
    },
    metrics_collected: (r, event: voice.MetricsCollectedEvent) =>
      recordMetrics(r, event.metrics, () => {
        const text = finalTranscript;
        finalTranscript = undefined;
        return text;
      }),
    error: (r, event: voice.ErrorEvent) => {
      const error = event.error as { error?: unknown; recoverable?: boolean; type?: string } | undefined;
      r.log("error", `livekit ${error?.type ?? "agent"} error: ${describe(error?.error ?? error)}`, {
        recoverable: error?.recoverable ?? null,
      });
    },
    close: (r, event: voice.CloseEvent) => {
      if (event.error)
        r.log(
          "error",
          `livekit session closed on error: ${describe((event.error as { error?: unknown }).error ?? event.error)}`,
        );
      // the last reply may still be playing out (a forced interruption): wait for its finish, bounded
      if (playout?.pending)
        void playout.settled(CLOSE_PLAYOUT_TIMEOUT_MS).then(() => r.close(closeReason(event.reason)));
      else void r.close(closeReason(event.reason));
    },
  });

  return rec;
}

/** Both channels: the input wrapped from now on, the output followed from now on; undone on detach. */
function recordAudio(rec: Recorder, session: voice.AgentSession): AgentPlayout {
  const place = (channel: "user" | "assistant") => (pcm: Int16Array, sampleRate: number, atMs: number) => {
    rec.safely(() => rec.session.audio(channel, pcm, sampleRate, atMs));
  };
  const playout = new AgentPlayout(place("assistant"), (error) => rec.report(error));
  const output = session.output as unknown as { audio: PlaybackOutput | null };
  const unfollow = interceptAudioSlot(output, (value) => {
    playout.follow(value);
    return value;
  });
  playout.follow(output.audio);
  const unwrap = observeUserAudio(session, place("user"), (error) => rec.report(error));
  rec.onDetach(() => {
    unwrap();
    unfollow();
    playout.stop();
  });
  return playout;
}

function recordMetrics(r: Recorder, m: lkmetrics.AgentMetrics, takeTranscript: () => string | undefined): void {
  const provider = (meta: lkmetrics.MetricsMetadata | undefined, label: string) => meta?.modelProvider ?? label;
  switch (m.type) {
    case "stt_metrics": {
      const span = r.turn()?.stt({ provider: provider(m.metadata, m.label), model: m.metadata?.modelName });
      const text = takeTranscript();
      if (text) span?.text(text, { isFinal: true });
      span?.set({
        "metrics.duration_ms": m.durationMs,
        "stt.audio_duration_ms": m.audioDurationMs,
        "stt.streamed": m.streamed,
      });
      span?.end();
      return;
    }
    case "llm_metrics": {
      const span = r
        .turn()
        ?.llm({ provider: provider(m.metadata, m.label), model: m.metadata?.modelName ?? "unknown" });
      span?.ttfb(m.ttftMs / 1000).usage({ inputTokens: m.promptTokens, outputTokens: m.completionTokens });
      span?.set({
        "metrics.duration_ms": m.durationMs,
        "gen_ai.usage.cache_read.input_tokens": m.promptCachedTokens,
        "llm.cancelled": m.cancelled,
      });
      span?.end();
      return;
    }
    case "realtime_model_metrics": {
      const span = r
        .turn()
        ?.llm({ provider: provider(m.metadata, m.label), model: m.metadata?.modelName ?? "unknown" });
      span?.ttfb(m.ttftMs / 1000).usage({ inputTokens: m.inputTokens, outputTokens: m.outputTokens });
      span?.set({ "metrics.duration_ms": m.durationMs, "llm.cancelled": m.cancelled });
      span?.end();
      return;
    }
    case "tts_metrics": {
      const span = r.turn()?.tts({ provider: provider(m.metadata, m.label), model: m.metadata?.modelName });
      span?.ttfb(m.ttfbMs / 1000).set({
        "metrics.character_count": m.charactersCount,
        "metrics.duration_ms": m.durationMs,
        "tts.audio_duration_ms": m.audioDurationMs,
      });
      span?.end();
      return;
    }
    default:
      return; // vad / eou / interruption metrics: not spans
  }
}

/** LiveKit's metrics report times in seconds since the epoch. */
function secondsToMs(value: number | undefined): number | undefined {
  return typeof value === "number" && value > 0 ? Math.round(value * 1000) : undefined;
}

function closeReason(reason: unknown): string | undefined {
  const text = String(reason ?? "")
    .toLowerCase()
    .replace(/[^a-z0-9-_.]+/g, "-")
    .replace(/^[^a-z0-9]+/, "")
    .slice(0, 100);
  return text || undefined;
}
