/**
 * The wire types the SDK sends and reads, written out by hand so the SDK's types need no zod.
 * sdk/protocol.ts checks at compile time that its zod schemas infer exactly these types.
 */
import type { LOG_LEVELS, MODES } from "./limits.ts";

export type Mode = (typeof MODES)[number];
export type LogLevel = (typeof LOG_LEVELS)[number];
/**
 * `true` holds everything until consent (the seed SDK's meaning); `"audio"` holds audio only
 * (later Cekura SDKs); `false` (default) holds nothing.
 */
export type DeferUpload = boolean | "audio";

export interface TranscriptEvent {
  kind: "transcript";
  role: "user" | "assistant" | "system";
  text: string;
  startedAt: string;
  endedAt: string;
}
export interface ToolCallEvent {
  kind: "tool_call";
  id: string;
  name: string;
  /** JSON-encoded arguments (Cekura wants a JSON string). */
  arguments: string;
  time: string;
}
export interface ToolResultEvent {
  kind: "tool_result";
  id: string;
  name?: string | undefined;
  /** JSON-encoded result. */
  result: string;
  isError: boolean;
  time: string;
}
export interface LogEvent {
  kind: "log";
  level: LogLevel;
  message: string;
  time: string;
  attributes?: Record<string, unknown> | undefined;
}
export interface MetadataEvent {
  kind: "metadata";
  /** Shallow patch merged into the session's custom metadata; a null value deletes the key. */
  patch: Record<string, unknown>;
  time: string;
}
export interface TurnEvent {
  kind: "turn";
  number: number;
  startedAt: string;
  endedAt?: string | undefined;
  interrupted?: boolean | undefined;
  /** Seconds from the end of the user's speech to the start of the bot's. */
  userBotLatencySeconds?: number | undefined;
}
export type SessionEvent = TranscriptEvent | ToolCallEvent | ToolResultEvent | LogEvent | MetadataEvent | TurnEvent;
export type EventKind = SessionEvent["kind"];

export interface CloseRequest {
  /** Seq of the last fragment sent; -1 when none was sent. */
  lastSeq: number;
  /** chunkSeq of the last audio chunk sent; -1 or absent when none. */
  lastAudioSeq?: number | undefined;
  reason: string;
  agentId?: number | undefined;
  mode?: Mode | undefined;
  deferUpload?: DeferUpload | undefined;
  callStartedAt?: string | undefined;
}

export type { ConsentState, ForwardStatus, SessionState } from "./status.ts";
