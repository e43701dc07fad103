/**
 * A realistic voice call, second by second: a turn every 6 s (user line, assistant line), a tool
 * call + result every third turn, two log lines per turn, and 16 kHz stereo s16le audio (64 000 B/s).
 * Shared by the hot-path, wire, capacity and finalization benchmarks so they measure the same call.
 * Runtime-neutral (no node: imports).
 */
import type { SessionEvent } from "../../sdk/protocol.ts";

export const SAMPLE_RATE = 16_000;
/** Raw interleaved stereo s16le bytes per second of call. */
export const STEREO_PCM_BYTES_PER_SECOND = SAMPLE_RATE * 2 * 2;
/** One 20 ms mono frame per channel. */
export const FRAME_SAMPLES = SAMPLE_RATE / 50;
export const TURN_SECONDS = 6;
/** Seconds of audio per `PUT .../audio/:seq`: the SDK's default chunk (sdk/audio/stereo-recorder.ts DEFAULT_CHUNK_MS). */
export const AUDIO_CHUNK_SECONDS = 5;

export const USER_TEXT = "Hi, I'd like to move my appointment on Thursday to next week, ideally in the morning.";
export const ASSISTANT_TEXT =
  "Of course. I can see your appointment on Thursday at 10:30. Next week I have Monday at 9:00 or Tuesday at 11:15 available. Which one works better for you?";
export const TOOL_ARGS = { patientId: "p-48213", from: "2026-11-26T10:30:00.000Z", window: "next-week-morning" };
export const TOOL_RESULT = { slots: ["2026-11-30T09:00:00.000Z", "2026-12-01T11:15:00.000Z"], ok: true };
export const LOG_ATTRS = { component: "llm", model: "gpt-4o-mini", tokens: 182 };

/** The events the SDK would record during second `s` of a call that started at `startMs`. */
export function eventsOfSecond(s: number, startMs: number): SessionEvent[] {
  const at = (offsetMs: number) => new Date(startMs + s * 1000 + offsetMs).toISOString();
  const events: SessionEvent[] = [];
  const phase = s % TURN_SECONDS;
  const turn = Math.floor(s / TURN_SECONDS);
  if (phase === 1) {
    events.push({ kind: "transcript", role: "user", text: USER_TEXT, startedAt: at(-1000), endedAt: at(0) });
    events.push({ kind: "log", level: "info", message: "llm request started", time: at(10), attributes: LOG_ATTRS });
  }
  if (phase === 2 && turn % 3 === 0) {
    const id = `call-${turn}`;
    events.push({ kind: "tool_call", id, name: "find_slots", arguments: JSON.stringify(TOOL_ARGS), time: at(0) });
    events.push({
      kind: "tool_result",
      id,
      name: "find_slots",
      result: JSON.stringify(TOOL_RESULT),
      isError: false,
      time: at(120),
    });
  }
  if (phase === 4) {
    events.push({ kind: "transcript", role: "assistant", text: ASSISTANT_TEXT, startedAt: at(-2500), endedAt: at(0) });
    events.push({ kind: "log", level: "info", message: "tts finished", time: at(5), attributes: LOG_ATTRS });
  }
  return events;
}

/** `seconds` of interleaved stereo s16le PCM: a quiet tone on both channels (not all zeros). */
export function stereoPcm(seconds: number): Uint8Array<ArrayBuffer> {
  const frames = Math.round(seconds * SAMPLE_RATE);
  const pcm = new Int16Array(frames * 2);
  for (let i = 0; i < frames; i++) {
    pcm[2 * i] = Math.round(3000 * Math.sin((2 * Math.PI * 220 * i) / SAMPLE_RATE));
    pcm[2 * i + 1] = Math.round(2000 * Math.sin((2 * Math.PI * 330 * i) / SAMPLE_RATE));
  }
  return new Uint8Array(pcm.buffer);
}

/** One 20 ms mono frame (what a voice pipeline hands the SDK per channel). */
export function monoFrame(): Int16Array {
  const frame = new Int16Array(FRAME_SAMPLES);
  for (let i = 0; i < frame.length; i++) frame[i] = Math.round(3000 * Math.sin((2 * Math.PI * 220 * i) / SAMPLE_RATE));
  return frame;
}

/** A fragment body as the SDK builds it. */
export function fragmentBody(
  seq: number,
  events: SessionEvent[],
  callStartedAt: string,
  agentId = 42,
  mode: "observe" | "track" = "observe",
  deferUpload?: boolean,
): string {
  return JSON.stringify({
    agentId,
    mode,
    seq,
    sentAt: new Date().toISOString(),
    callStartedAt,
    events,
    ...(deferUpload ? { deferUpload } : {}),
  });
}

/** Headers of one `PUT /v1/sessions/:id/audio/:seq` chunk that may also introduce the session. */
export function audioChunkHeaders(callStartedAt: string): Record<string, string> {
  return {
    "content-type": "application/octet-stream",
    "x-audio-sample-rate": String(SAMPLE_RATE),
    "x-audio-channels": "2",
    "x-cekura-agent-id": "42",
    "x-cekura-mode": "observe",
    "x-cekura-call-started-at": callStartedAt,
  };
}
