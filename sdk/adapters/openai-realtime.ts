/**
 * OpenAI Agents SDK realtime (`@openai/agents-realtime`): one line records a RealtimeSession.
 *
 * ```ts
 * import { observeRealtimeSession } from "cekura-edge-tracer/openai-realtime";
 * observeRealtimeSession(cekura, session);          // before session.connect(...)
 * ```
 * - history items (history_added / history_updated) -> transcript turns: user turns from the server VAD's
 *   speech_started to speech_stopped, others (and user turns without VAD) from first seen to completed
 * - agent_tool_start / agent_tool_end (and MCP calls) -> tool calls paired with their results
 * - `audio` events -> assistant channel, as played: back to back from the first delta of a reply (the
 *   transport's playback clock); a barge-in cuts it where `conversation.item.truncate` says playback
 *   stopped (`audio_end_ms`), or at the interruption when no truncate is sent (session.interruptAudio)
 * - audio given to session.sendAudio() -> user channel
 * - each response (turn_started .. turn_done) -> an OTel turn with an `llm` span: TTFB to first
 *   audio/text, usage tokens, output text
 * - transport disconnect (session.close()) or an error -> the Cekura session is closed
 */
import type { RealtimeItem, RealtimeSession, TransportLayerResponseCompleted } from "@openai/agents-realtime";
import type { CekuraTracer, ServiceSpanHandle } from "../index.ts";
import {
  describeError as describe,
  listen,
  Recorder,
  type AdapterOptions,
  type EventSource,
  type Observed,
} from "./event-stream.ts";

export interface RealtimeAdapterOptions extends AdapterOptions {
  /** PCM sample rate of both directions (default 24000, the Realtime API's `audio/pcm`). */
  sampleRate?: number;
  /** Model on the llm spans (default the session's `model`, else "gpt-realtime"). */
  model?: string;
  /** Close the Cekura session when the realtime session reports an error (default true). */
  closeOnError?: boolean;
}

interface ItemState {
  firstSeen: number;
  recorded: boolean;
}

type AnySession = RealtimeSession<any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export function observeRealtimeSession(
  cekura: CekuraTracer,
  session: AnySession,
  options: RealtimeAdapterOptions = {},
): Observed {
  const { sampleRate = 24_000, model, closeOnError = true, ...base } = options;
  const rec = new Recorder(cekura, base);
  const items = new Map<string, ItemState>();
  const spanModel = model ?? session.options.model ?? "gpt-realtime";
  let llm: ServiceSpanHandle | undefined;
  let turnStartedAt = 0;
  let firstOutput = false;

  /** Wall-clock times of the server VAD's speech_started / speech_stopped, by user item id. */
  const speech = new Map<string, { start?: number; end?: number }>();
  const consider = (item: RealtimeItem, final: boolean) => {
    if (item.type !== "message" || item.role === "system") return;
    let state = items.get(item.itemId);
    if (!state) items.set(item.itemId, (state = { firstSeen: Date.now(), recorded: false }));
    if (state.recorded) return;
    const text = messageText(item);
    if (!text || (!final && item.status !== "completed")) return;
    state.recorded = true;
    const vad = speech.get(item.itemId);
    const startedAt = vad?.start ?? state.firstSeen;
    rec.transcript(item.role, text, startedAt, Math.max(startedAt, vad?.end ?? Date.now()));
  };
  /** Closes once; items that never reached "completed" (cut off by the end) are still transcript. */
  const end = (reason?: string) => {
    if (!rec.ending) for (const item of session.history) consider(item, true);
    return rec.close(reason);
  };

  const outputStarted = () => {
    if (!llm || firstOutput) return;
    firstOutput = true;
    llm.ttfb((performance.now() - turnStartedAt) / 1000);
  };

  listen(rec, session as unknown as EventSource, {
    history_added: (_r, item: RealtimeItem) => consider(item, false),
    history_updated: (_r, history: RealtimeItem[]) => {
      for (const item of history) consider(item, false);
    },
    agent_tool_start: (
      r,
      _ctx: unknown,
      _agent: unknown,
      tool: { name: string },
      details: { toolCall: ToolCallLike },
    ) => {
      r.toolCall(callIdOf(details.toolCall), details.toolCall.name ?? tool.name, details.toolCall.arguments);
    },
    agent_tool_end: (
      r,
      _ctx: unknown,
      _agent: unknown,
      tool: { name: string },
      result: string,
      details: { toolCall: ToolCallLike },
    ) => {
      r.toolResult(callIdOf(details.toolCall), result, false, details.toolCall.name ?? tool.name);
    },
    mcp_tool_call_completed: (
      r,
      _ctx: unknown,
      _agent: unknown,
      call: { itemId: string; name: string; arguments: string; output: string | null },
    ) => {
      r.toolCall(call.itemId, call.name, call.arguments);
      r.toolResult(call.itemId, call.output, false, call.name);
    },
    audio: (r, event: { data: ArrayBuffer }) => {
      outputStarted();
      r.audio("assistant", event.data, sampleRate);
    },
    audio_interrupted: (r) => {
      r.endTurn({ interrupted: true });
      // The transport sends its truncate right after this event, in the same task; without one (the
      // reply had fully played), playback stopped now.
      const seen = truncations;
      queueMicrotask(() => {
        if (truncations === seen) r.safely(() => r.session.interruptAudio("assistant"));
      });
    },
    guardrail_tripped: (r, _ctx: unknown, _agent: unknown, error: unknown) =>
      r.log("warn", "output guardrail tripped", { error: String(error) }),
    error: (r, event: { error: unknown }) => {
      r.log("error", `realtime session error: ${describe(event.error)}`);
      if (closeOnError) void end("error");
    },
  });

  listen(rec, session.transport as unknown as EventSource, {
    "*": (_r, event: { type?: string; item_id?: unknown }) => {
      if (typeof event.item_id !== "string") return;
      const times = speech.get(event.item_id) ?? {};
      if (event.type === "input_audio_buffer.speech_started")
        speech.set(event.item_id, { ...times, start: Date.now() });
      else if (event.type === "input_audio_buffer.speech_stopped")
        speech.set(event.item_id, { ...times, end: Date.now() });
    },
    turn_started: (r) => {
      r.endTurn();
      turnStartedAt = performance.now();
      firstOutput = false;
      llm = r.turn()?.llm({ provider: "openai", model: spanModel });
    },
    audio_transcript_delta: () => outputStarted(),
    output_text_delta: () => outputStarted(),
    turn_done: (r, event: TransportLayerResponseCompleted) => {
      const usage = event.response.usage;
      if (llm) {
        if (usage) {
          llm.usage({ inputTokens: usage.inputTokens, outputTokens: usage.outputTokens });
          if (usage.totalTokens !== undefined) llm.set({ "gen_ai.usage.total_tokens": usage.totalTokens });
        }
        const text = (event.response.output ?? []).map(outputText).filter(Boolean).join(" ");
        if (text) llm.text(text);
        llm.end();
        llm = undefined;
      }
      r.endTurn();
    },
    connection_change: (_r, status: string) => {
      if (status === "disconnected") void end();
    },
  });

  // Barge-in: the transport truncates the reply at the position its playback clock reached
  // (audio_end_ms from its first audio delta); what was queued after it never played.
  let truncations = 0;
  const transport = session.transport as unknown as {
    sendEvent(event: { type?: string; audio_end_ms?: unknown }): void;
    _firstAudioTimestamp?: number;
  };
  const ownSendEvent = Object.prototype.hasOwnProperty.call(transport, "sendEvent");
  const sendEvent = transport.sendEvent;
  if (typeof sendEvent === "function") {
    transport.sendEvent = function observedSendEvent(this: typeof transport, event) {
      const started = this._firstAudioTimestamp;
      if (event?.type === "conversation.item.truncate" && typeof event.audio_end_ms === "number") {
        truncations++;
        const at = typeof started === "number" ? started + event.audio_end_ms : Date.now();
        rec.safely(() => rec.session.interruptAudio("assistant", Math.min(at, Date.now())));
      }
      return sendEvent.call(this, event);
    };
    rec.onDetach(() => {
      if (ownSendEvent) transport.sendEvent = sendEvent;
      else delete (transport as Partial<typeof transport>).sendEvent;
    });
  }

  // User audio: what the app sends through session.sendAudio() (the WebSocket / SIP paths).
  const ownSendAudio = Object.prototype.hasOwnProperty.call(session, "sendAudio");
  const sendAudio = session.sendAudio;
  session.sendAudio = function observedSendAudio(this: AnySession, audio: ArrayBuffer, opts?: { commit?: boolean }) {
    rec.audio("user", audio, sampleRate);
    return sendAudio.call(this, audio, opts);
  };
  rec.onDetach(() => {
    if (ownSendAudio) session.sendAudio = sendAudio;
    else delete (session as Partial<AnySession>).sendAudio;
  });

  return {
    session: rec.session,
    closed: rec.closed,
    close: end,
    detach: () => rec.detach(),
  };
}

interface ToolCallLike {
  callId?: string;
  id?: string;
  name?: string;
  arguments?: string;
}

function callIdOf(call: ToolCallLike): string {
  return call.callId ?? call.id ?? "unknown";
}

function messageText(item: RealtimeItem): string {
  if (item.type !== "message") return "";
  const parts: string[] = [];
  for (const c of item.content) {
    if ("text" in c && typeof c.text === "string") parts.push(c.text);
    else if ("transcript" in c && typeof c.transcript === "string") parts.push(c.transcript);
  }
  return parts.join(" ").trim();
}

function outputText(output: unknown): string {
  const content = (output as { content?: unknown[] } | null)?.content;
  if (!Array.isArray(content)) return "";
  return content
    .map((c) => {
      const part = c as { text?: unknown; transcript?: unknown };
      return typeof part.text === "string" ? part.text : typeof part.transcript === "string" ? part.transcript : "";
    })
    .filter(Boolean)
    .join(" ");
}
