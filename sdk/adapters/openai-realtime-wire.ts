/**
 * OpenAI Realtime, read off the wire: each JSON event a client and the server exchange drives a Cekura
 * session. Used by the Worker's recording relay (worker/relay/) and by any tap that sees the raw frames.
 * Pure mapping: no I/O, no timers; the caller passes every frame and `now` (epoch ms).
 *
 * - user audio: `input_audio_buffer.append` in the session's input format (pcm16 24 kHz, G.711 μ-law/A-law)
 * - assistant audio: `response.output_audio.delta` (GA) / `response.audio.delta` (beta), handed to the
 *   session without a time: its playout placement plays it back to back from the response's start;
 *   `conversation.item.truncate` cuts it where playback stopped (`audio_end_ms`) via interruptAudio
 * - transcript: input transcription (user), output audio transcript / output text (assistant), GA + beta
 * - tool calls: `response.function_call_arguments.done`; results: `conversation.item.create` with a
 *   `function_call_output` item
 * - one turn with an `llm` span per response: TTFB to the first audio, model, usage from `response.done`
 * - `session.update` / `session.updated` facts (model, voice, formats) as metadata; `error` events as logs
 */
import type { CekuraSession } from "../cekura-session.ts";
import type { ServiceSpanHandle, TurnHandle } from "../otel/types.ts";
import { decodeMulaw } from "./mulaw.ts";

export type RealtimeAudioFormat = "pcm16" | "g711_ulaw" | "g711_alaw";

export interface RealtimeWireOptions {
  /** Model when neither the URL nor session events name one (default "gpt-realtime"). */
  model?: string;
}

interface ResponseState {
  turn: TurnHandle | undefined;
  llm: ServiceSpanHandle | undefined;
  startedAt: number;
  firstAudio: boolean;
}

interface ItemAudio {
  /** Epoch ms at which the item's first sample plays. */
  startMs: number;
  /** Ms of audio received for the item. */
  durationMs: number;
}

type Json = Record<string, unknown>;

const PCM_RATE = 24_000;
const G711_RATE = 8000;
/** Items whose audio positions are kept for truncation (a long call must not grow without bound). */
const MAX_ITEMS = 256;

export class RealtimeWireTap {
  readonly #session: CekuraSession;
  #model: string;
  #inputFormat: RealtimeAudioFormat = "pcm16";
  #outputFormat: RealtimeAudioFormat = "pcm16";
  readonly #responses = new Map<string, ResponseState>();
  readonly #items = new Map<string, ItemAudio>();
  /** Where queued assistant audio ends (epoch ms): a new response plays after it, or at its arrival. */
  #assistantEndMs = 0;
  /** Epoch ms of the first user audio (input audio positions count from it). */
  #userOriginMs: number | undefined;
  readonly #speech = new Map<string, { start?: number; end?: number }>();
  readonly #facts: Json = {};
  /** Frames that were not JSON events (binary, invalid JSON): relayed, not recorded. */
  unparsed = 0;

  constructor(session: CekuraSession, options: RealtimeWireOptions = {}) {
    this.#session = session;
    this.#model = options.model ?? "gpt-realtime";
    if (options.model) this.#fact({ model: options.model });
  }

  /** A frame the client sent to the server. */
  fromClient(frame: string | ArrayBuffer | Uint8Array, now: number = Date.now()): void {
    const event = parse(frame);
    if (!event) return void this.unparsed++;
    switch (event.type) {
      case "session.update":
        return this.#sessionFacts(obj(event.session));
      case "input_audio_buffer.append":
        return this.#userAudio(str(event.audio), now);
      case "conversation.item.truncate":
        return this.#truncate(str(event.item_id), num(event.audio_end_ms), now);
      case "conversation.item.create": {
        const item = obj(event.item);
        if (item.type === "function_call_output")
          this.#session.toolResult({ id: str(item.call_id) || "unknown", result: item.output ?? null });
        return;
      }
    }
  }

  /** A frame the server sent to the client. */
  fromServer(frame: string | ArrayBuffer | Uint8Array, now: number = Date.now()): void {
    const event = parse(frame);
    if (!event) return void this.unparsed++;
    const type = str(event.type);
    switch (type) {
      case "session.created":
      case "session.updated":
        return this.#sessionFacts(obj(event.session));
      case "input_audio_buffer.speech_started":
      case "input_audio_buffer.speech_stopped": {
        const id = str(event.item_id);
        const at = this.#inputTime(type.endsWith("started") ? event.audio_start_ms : event.audio_end_ms, now);
        const times = this.#speech.get(id) ?? {};
        if (type.endsWith("started")) times.start = at;
        else times.end = at;
        this.#speech.set(id, times);
        trim(this.#speech);
        return;
      }
      case "conversation.item.input_audio_transcription.completed": {
        const text = str(event.transcript).trim();
        if (!text) return;
        const times = this.#speech.get(str(event.item_id));
        const startedAt = times?.start ?? now;
        this.#session.transcript({ role: "user", text, startedAt, endedAt: Math.max(startedAt, times?.end ?? now) });
        return;
      }
      case "response.created":
        return void this.#response(str(obj(event.response).id), now);
      case "response.output_audio.delta":
      case "response.audio.delta":
        return this.#assistantAudio(event, now);
      case "response.output_audio_transcript.done":
      case "response.audio_transcript.done":
      case "response.output_text.done":
      case "response.text.done": {
        const text = str(event.transcript ?? event.text).trim();
        if (!text) return;
        const audio = this.#items.get(str(event.item_id));
        const startedAt = audio?.startMs ?? this.#responses.get(str(event.response_id))?.startedAt ?? now;
        const endedAt = audio ? audio.startMs + audio.durationMs : now;
        this.#session.transcript({ role: "assistant", text, startedAt, endedAt: Math.max(startedAt, endedAt) });
        this.#responses.get(str(event.response_id))?.llm?.text(text);
        return;
      }
      case "response.function_call_arguments.done":
        this.#session.toolCall({
          id: str(event.call_id) || str(event.item_id) || "unknown",
          name: str(event.name) || "unknown",
          arguments: str(event.arguments),
        });
        return;
      case "response.done":
        return this.#responseDone(obj(event.response), now);
      case "error": {
        const error = obj(event.error);
        this.#session.log("error", `realtime error: ${str(error.message) || "unknown"}`, {
          type: str(error.type),
          code: str(error.code),
          param: str(error.param),
          event_id: str(error.event_id),
        });
        return;
      }
    }
  }

  /** The socket closed: open responses' spans end (the caller then closes the session). */
  end(): void {
    for (const r of this.#responses.values()) r.turn?.end({ interrupted: true });
    this.#responses.clear();
  }

  #fact(patch: Json): void {
    let changed = false;
    for (const [k, v] of Object.entries(patch)) {
      if (v === undefined || JSON.stringify(this.#facts[k]) === JSON.stringify(v)) continue;
      this.#facts[k] = v;
      changed = true;
    }
    if (changed) this.#session.setCustomMetadata({ openai_realtime: { ...this.#facts } });
  }

  #sessionFacts(s: Json): void {
    const audio = obj(s.audio);
    const input = formatOf(obj(audio.input).format ?? s.input_audio_format);
    const output = formatOf(obj(audio.output).format ?? s.output_audio_format);
    if (input) this.#inputFormat = input;
    if (output) this.#outputFormat = output;
    if (typeof s.model === "string" && s.model) this.#model = s.model;
    const voice = obj(audio.output).voice ?? s.voice;
    const tools = Array.isArray(s.tools) ? s.tools.map((t) => str(obj(t).name)).filter(Boolean) : undefined;
    this.#fact({
      model: typeof s.model === "string" ? s.model : undefined,
      voice: typeof voice === "string" ? voice : undefined,
      input_audio_format: input,
      output_audio_format: output,
      tools,
    });
  }

  #userAudio(base64: string, now: number): void {
    const bytes = fromBase64(base64);
    if (bytes.length === 0) return;
    this.#userOriginMs ??= now;
    const { pcm, rate } = decode(bytes, this.#inputFormat);
    this.#session.audio("user", pcm, rate);
  }

  /** Epoch ms of an input-audio position (ms from the first audio appended). */
  #inputTime(positionMs: unknown, now: number): number {
    const p = num(positionMs);
    return this.#userOriginMs !== undefined && p !== undefined ? this.#userOriginMs + p : now;
  }

  #response(id: string, now: number): ResponseState {
    let r = this.#responses.get(id);
    if (!r) {
      const turn = this.#session.startTurn();
      const llm = turn.llm({ provider: "openai", model: this.#model });
      this.#responses.set(id, (r = { turn, llm, startedAt: now, firstAudio: false }));
      trim(this.#responses, (old) => old.turn?.end({ interrupted: true }));
    }
    return r;
  }

  #assistantAudio(event: Json, now: number): void {
    const bytes = fromBase64(str(event.delta));
    if (bytes.length === 0) return;
    const r = this.#response(str(event.response_id), now);
    if (!r.firstAudio) {
      r.firstAudio = true;
      r.llm?.ttfb(Math.max(0, now - r.startedAt) / 1000);
    }
    const { pcm, rate } = decode(bytes, this.#outputFormat);
    const ms = (pcm.length * 1000) / rate;
    // Mirrors the playout placement: back to back after what is queued, or from now after a pause.
    const start = Math.max(now, this.#assistantEndMs);
    const id = str(event.item_id);
    let item = this.#items.get(id);
    if (!item) {
      this.#items.set(id, (item = { startMs: start, durationMs: 0 }));
      trim(this.#items);
    }
    item.durationMs += ms;
    this.#assistantEndMs = start + ms;
    this.#session.audio("assistant", pcm, rate);
  }

  #truncate(itemId: string, audioEndMs: number | undefined, now: number): void {
    const item = this.#items.get(itemId);
    const cutAt = item && audioEndMs !== undefined ? Math.min(item.startMs + Math.max(0, audioEndMs), now) : now;
    const interrupt = (this.#session as { interruptAudio?: (c: "assistant", at?: number) => void }).interruptAudio;
    if (typeof interrupt === "function") interrupt.call(this.#session, "assistant", cutAt);
    this.#assistantEndMs = Math.min(this.#assistantEndMs, cutAt);
    if (item) item.durationMs = Math.min(item.durationMs, cutAt - item.startMs);
    this.#session.log("info", "assistant audio truncated (playback stopped)", {
      item_id: itemId,
      audio_end_ms: audioEndMs ?? null,
    });
  }

  #responseDone(response: Json, now: number): void {
    const id = str(response.id);
    const r = this.#responses.get(id) ?? this.#response(id, now);
    const usage = obj(response.usage);
    const input = num(usage.input_tokens);
    const output = num(usage.output_tokens);
    if (r.llm) {
      if (input !== undefined || output !== undefined) r.llm.usage({ inputTokens: input, outputTokens: output });
      const total = num(usage.total_tokens);
      if (total !== undefined) r.llm.set({ "gen_ai.usage.total_tokens": total });
      const status = str(response.status);
      if (status) r.llm.set({ "openai.response.status": status });
      r.llm.end();
    }
    r.turn?.end({ interrupted: response.status === "cancelled" });
    this.#responses.delete(id);
  }
}

function parse(frame: string | ArrayBuffer | Uint8Array): Json | undefined {
  if (typeof frame !== "string") return undefined; // Realtime events are text frames.
  if (frame.length === 0 || frame.charCodeAt(0) !== 0x7b /* { */) return undefined;
  try {
    const value: unknown = JSON.parse(frame);
    return value && typeof value === "object" && !Array.isArray(value) ? (value as Json) : undefined;
  } catch {
    return undefined;
  }
}

const obj = (v: unknown): Json => (v && typeof v === "object" && !Array.isArray(v) ? (v as Json) : {});
const str = (v: unknown): string => (typeof v === "string" ? v : "");
const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);

function trim<V>(map: Map<string, V>, dropped?: (v: V) => void): void {
  while (map.size > MAX_ITEMS) {
    const first = map.keys().next().value as string;
    const value = map.get(first)!;
    map.delete(first);
    dropped?.(value);
  }
}

/** GA `{type: "audio/pcm" | "audio/pcmu" | "audio/pcma"}` or beta "pcm16" | "g711_ulaw" | "g711_alaw". */
export function formatOf(format: unknown): RealtimeAudioFormat | undefined {
  const name = typeof format === "string" ? format : str(obj(format).type);
  switch (name) {
    case "pcm16":
    case "audio/pcm":
      return "pcm16";
    case "g711_ulaw":
    case "audio/pcmu":
      return "g711_ulaw";
    case "g711_alaw":
    case "audio/pcma":
      return "g711_alaw";
    default:
      return undefined;
  }
}

function fromBase64(base64: string): Uint8Array {
  if (!base64) return new Uint8Array(0);
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function decode(bytes: Uint8Array, format: RealtimeAudioFormat): { pcm: Int16Array; rate: number } {
  if (format === "g711_ulaw") return { pcm: decodeMulaw(bytes), rate: G711_RATE };
  if (format === "g711_alaw") return { pcm: decodeAlaw(bytes), rate: G711_RATE };
  const pcm = new Int16Array(bytes.length >> 1);
  for (let i = 0; i < pcm.length; i++) pcm[i] = ((bytes[2 * i]! | (bytes[2 * i + 1]! << 8)) << 16) >> 16;
  return { pcm, rate: PCM_RATE };
}

/** G.711 A-law to linear PCM (ITU-T G.711: even bits inverted, sign in bit 7, 3-bit segment, 4-bit step). */
export function decodeAlaw(bytes: Uint8Array): Int16Array {
  const pcm = new Int16Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) {
    const a = bytes[i]! ^ 0x55;
    const segment = (a & 0x70) >> 4;
    let t = (a & 0x0f) << 4;
    t = segment === 0 ? t + 8 : ((t + 0x108) << (segment - 1)) >>> 0;
    pcm[i] = a & 0x80 ? t : -t;
  }
  return pcm;
}
