/** The session of a disabled tracer: every call is a cheap no-op (no validation, no queue, no timers). */
import type { LogLevel, Mode } from "../wire/types.ts";
import type { SessionLogger } from "../logger.ts";
import type { CekuraSession, SessionStats, Turn } from "../cekura-session.ts";
import type { SessionStatus } from "../wire/status.ts";
import { noopTurn } from "../otel/noop.ts";

const noop = () => undefined;
const NOOP_LOGGER: SessionLogger = { debug: noop, info: noop, warn: noop, error: noop };
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
  log(_level: LogLevel, _message: string, _attributes?: Record<string, unknown>): void {}
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
      dropped: { events: 0, audioSamples: 0, ignoredAudioSamples: 0 },
      queuedBytes: 0,
    };
  }
  setCustomMetadata(patch: Record<string, unknown>): void {
    if (typeof patch === "object" && patch !== null) Object.assign(this.#metadata, patch);
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
