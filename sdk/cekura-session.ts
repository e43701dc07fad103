import type { AnyLogLevel, SessionLogger } from "./logger.ts";
import type { SessionStatus } from "./wire/status.ts";
import type { TurnHandle } from "./otel/types.ts";
import type { Mode } from "./wire/types.ts";

export type AudioChannel = "user" | "assistant";

export interface TranscriptInput {
  role: "user" | "assistant" | "system";
  text: string;
  startedAt?: Date | number;
  endedAt?: Date | number;
}
export interface ToolCallInput {
  id: string;
  name: string;
  arguments?: unknown;
}
export interface ToolResultInput {
  id: string;
  name?: string;
  result: unknown;
  isError?: boolean;
}
export interface CloseOptions {
  /** Lower-case reason, e.g. "customer-ended-call" (default "agent-ended-call"). */
  reason?: string;
}

/** A conversation turn: OTel spans for stt / llm / tts / tool calls (a no-op turn when traces are off). */
export type Turn = TurnHandle;

/** Counts of what a session recorded, what the Worker acknowledged, and what was dropped. */
export interface SessionStats {
  recorded: {
    transcripts: number;
    toolCalls: number;
    toolResults: number;
    logs: number;
    metadataPatches: number;
    /** Samples passed to audio(), per channel (before resampling). */
    audioSamples: { user: number; assistant: number };
  };
  sent: {
    /** Fragments and events acknowledged by the Worker. */
    fragments: number;
    events: number;
    audioChunks: number;
    audioBytes: number;
  };
  dropped: {
    /** Events evicted on queue overflow, refused by the Worker (4xx), or dropped by abort(). */
    events: number;
    /** Audio samples dropped because the network was behind (input buffers full). */
    audioSamples: number;
    /** Samples passed to audio() on a track session: accepted, counted, never sent. */
    ignoredAudioSamples: number;
    /** Recording calls refused for bad input: reported through onError, nothing of them recorded. */
    invalidCalls: number;
    /** Recording calls after close() or abort(): no-ops (the first is reported through onError). */
    afterClose: number;
    /** Transcript texts and log messages cut to the length limit (recorded, reported through onError). */
    truncatedTexts: number;
  };
  /** Bytes of events queued and not yet acknowledged. */
  queuedBytes: number;
}

/**
 * One traced call, as `tracer.observe()` / `tracer.track()` return it. Recording calls
 * (transcript, toolCall, toolResult, log, setCustomMetadata, audio, interruptAudio, startTurn) are
 * synchronous, never touch the network and never throw into the agent: bad input is reported through
 * onError with the error object and dropped (over-long transcript text and log messages are cut to the
 * limit and kept), calls after close()/abort() are no-ops; all counted in stats().dropped (docs/sdk.md).
 * The same interface is a cheap no-op when the tracer is disabled.
 */
export interface CekuraSession {
  /** The session id (Cekura's call_id): explicit, from runner arguments, or a random UUID. */
  readonly id: string;
  /** "observe" (production calls, audio allowed) or "track" (test runs, no audio). */
  readonly mode: Mode;
  /** Leveled logging into the session's record (captureLogs: INFO and above). */
  readonly logger: SessionLogger;
  /** Seq of the last fragment built (-1 before the first). */
  readonly lastSeq: number;
  /** Samples passed to audio() on a track session: accepted, counted, never sent. */
  readonly ignoredAudioSamples: number;

  /** One transcript turn. `startedAt` / `endedAt`: Date or epoch ms; default now. */
  transcript(input: TranscriptInput): void;
  /**
   * A tool call; `arguments` is any JSON value, sent as JSON text encoded once: a string holding JSON
   * object or array text (OpenAI's `arguments`) is taken as that JSON; other strings are string values.
   */
  toolCall(input: ToolCallInput): void;
  /** The result of the tool call with the same `id`; `result` follows the same JSON rule as `arguments`. */
  toolResult(input: ToolResultInput): void;
  /** A log line in the session's record (always recorded; `logger` applies captureLogs). */
  log(level: AnyLogLevel, message: string, attributes?: Record<string, unknown>): void;
  /** Shallow-merges `patch` into the custom metadata (a null value deletes a key). */
  setCustomMetadata(patch: Record<string, unknown>): void;
  /** A copy of the merged custom metadata. */
  getCustomMetadata(): Record<string, unknown>;
  /**
   * Mono s16 PCM (Int16Array, or s16le bytes) for one side of the call, placed on the session clock
   * at `at` (Date or epoch ms; default now). Track sessions count it in `ignoredAudioSamples` only.
   */
  audio(channel: AudioChannel, pcm: Int16Array | Uint8Array, sampleRate: number, at?: Date | number): void;
  /**
   * Playback on `channel` was cut at `at` (Date or epoch ms; default now), e.g. a barge-in: audio given
   * without `at` that was queued on that channel and had not played by then is dropped. A no-op on track sessions.
   */
  interruptAudio(channel: AudioChannel, at?: Date | number): void;
  /** Starts a conversation turn (OTel spans; a no-op turn when traces are off). */
  startTurn(): Turn;
  /** Counts of what was recorded, sent and dropped so far. */
  stats(): SessionStats;

  /** Resolves once everything recorded so far is acknowledged (use with ctx.waitUntil). */
  flush(): Promise<void>;
  /**
   * Flushes, sends close and resolves with the Worker's final status, within `closeTimeoutMs`
   * whatever the network does (rejects with TimeoutError after it). Warns through onError when
   * the session recorded no transcript, or audio on one channel only. Twice: the same promise.
   */
  close(options?: CloseOptions): Promise<SessionStatus>;
  /** Consent: release what deferUpload held. */
  startAudioUpload(): Promise<SessionStatus>;
  /**
   * Deletes everything captured, here and in the Worker. Wins over a close() whose request has not
   * been sent yet (that close() rejects); after close was sent it rejects with SessionClosedError.
   */
  abort(): Promise<SessionStatus>;
  /** Drops the audio only, keeping the rest. */
  abortRecording(): Promise<SessionStatus>;
}
