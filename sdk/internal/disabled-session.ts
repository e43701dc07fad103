/**
 * The session of a disabled tracer: every call is a cheap no-op that never throws, whatever it is given
 * (no validation, no queue, no timers).
 */
import type { Mode } from "../wire/types.ts";
import type { SessionLogger } from "../logger.ts";
import type { CekuraSession, SessionStats, Turn } from "../cekura-session.ts";
import type { SessionStatus } from "../wire/status.ts";
import { noopTurn } from "../otel/noop.ts";

const noop = () => undefined;
const NOOP_LOGGER: SessionLogger = {
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
  warning: noop,
  critical: noop,
  exception: noop,
};
const NOOP_TURN: Turn = noopTurn();

export class DisabledSession implements CekuraSession {
  readonly logger = NOOP_LOGGER;
  /** Nothing is ever sent. */
  readonly lastSeq = -1;
  readonly ignoredAudioSamples = 0;
  readonly #metadata: Record<string, unknown> = {};

  constructor(
    readonly id: string,
    readonly mode: Mode,
  ) {}

  transcript(_input: unknown): void {}
  toolCall(_input: unknown): void {}
  toolResult(_input: unknown): void {}
  log(_level: unknown, _message: unknown, _attributes?: unknown): void {}
  interruptAudio(_channel: unknown, _at?: unknown): void {}
  audio(_channel: unknown, _pcm: unknown, _sampleRate: unknown): void {}
  startTurn(): Turn {
    return NOOP_TURN;
  }
  stats(): SessionStats {
    return {
      recorded: {
        transcripts: 0,
        toolCalls: 0,
        toolResults: 0,
        logs: 0,
        metadataPatches: 0,
        audioSamples: { user: 0, assistant: 0 },
      },
      sent: { fragments: 0, events: 0, audioChunks: 0, audioBytes: 0 },
      dropped: {
        events: 0,
        audioSamples: 0,
        ignoredAudioSamples: 0,
        invalidCalls: 0,
        afterClose: 0,
        truncatedTexts: 0,
      },
      queuedBytes: 0,
    };
  }
  setCustomMetadata(patch: Record<string, unknown>): void {
    try {
      if (typeof patch === "object" && patch !== null && !Array.isArray(patch)) Object.assign(this.#metadata, patch);
    } catch {
      // A patch whose getters throw: a disabled session keeps what it could, and never throws.
    }
  }
  getCustomMetadata(): Record<string, unknown> {
    return { ...this.#metadata };
  }
  async flush(): Promise<void> {}
  /** Resolves with a synthetic status: nothing was sent. */
  async close(_options?: { reason?: string }): Promise<SessionStatus> {
    return disabledStatus(this.id, this.mode);
  }
  async startAudioUpload(): Promise<SessionStatus> {
    return disabledStatus(this.id, this.mode);
  }
  async abort(): Promise<SessionStatus> {
    return disabledStatus(this.id, this.mode);
  }
  async abortRecording(): Promise<SessionStatus> {
    return disabledStatus(this.id, this.mode);
  }
}

function disabledStatus(id: string, mode: Mode): SessionStatus {
  return {
    sessionId: id,
    agentId: 0,
    mode,
    state: "discarded",
    consent: "granted",
    deferUpload: false,
    createdAt: new Date(0).toISOString(),
    lastActivityAt: new Date(0).toISOString(),
    closeRequestedAt: null,
    finalizedAt: null,
    endedReason: "tracer-disabled",
    destroyedAt: null,
    audioDropped: null,
    counts: { fragments: 0, events: 0, ackedThrough: -1, missing: [] },
    finalization: null,
    forward: { status: "skipped", attempts: 0, nextAttemptAt: null, lastError: null, deliveredAt: null },
  };
}
