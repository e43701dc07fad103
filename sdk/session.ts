/**
 * One traced call. Recording calls are synchronous: validate, stamp UTC time, append to the
 * session's own queue (no await, no network). Delivery happens in the background (queue.ts).
 *
 * Extension points for the other SDK parts (keep them small here, logic in their folders):
 * - Audio (sdk/audio/): set `this.#audio` in the constructor to an AudioAddon; `audio()` calls it.
 * - Traces (sdk/otel/): set `this.#traces` in the constructor to a TracesAddon; `startTurn()` calls it.
 * Addons get a SessionContext (id, mode, transport, report...) and lifecycle hooks
 * (flush, beforeClose -> extra close fields such as lastAudioSeq, afterClose, abort, abortRecording).
 */
import { SdkError, SessionClosedError, TimeoutError, ValidationError } from "./errors.ts";
import { sessionStarted, sessionEnded, type ConsoleSink } from "./internal/console-capture.ts";
import type { EnvSource } from "./internal/env.ts";
import { sleep } from "./internal/sleep.ts";
import type { SessionStatus } from "./wire/status.ts";
import {
  boundedJsonObject,
  boundedText,
  describe,
  identifier,
  plainObject,
  toolJsonText,
  utcNow,
  utcTime,
} from "./internal/validate.ts";
import { createSessionLogger, logLevelOf, type AnyLogLevel, type SessionLogger } from "./logger.ts";
import { guardRecordingCalls } from "./internal/non-throwing.ts";
import { closeReasonProblem, LIMITS, LOG_LEVELS } from "./wire/limits.ts";
import type { CloseRequest, DeferUpload, LogLevel, Mode, SessionEvent } from "./wire/types.ts";
import { metadataPatchProblem } from "./metadata-fields.ts";
import { sdkFacts } from "./internal/runtime-facts.ts";
import { EventQueue, type QueueOptions } from "./queue.ts";
import type { Transport } from "./transport.ts";
import { createTracesAddon } from "./otel/lazy.ts";
import { createAudioAddon, type AudioOptions } from "./audio/audio-addon.ts";
import { bytesToSamples } from "./audio/interleave.ts";
import { noopTurn } from "./otel/noop.ts";
import type { SpanAttributes } from "./otel/types.ts";
import type {
  AudioChannel,
  CekuraSession,
  CloseOptions,
  SessionStats,
  ToolCallInput,
  ToolResultInput,
  TranscriptInput,
  Turn,
} from "./cekura-session.ts";
import type { Redactor } from "./redact.ts";

export type { SessionStatus } from "./wire/status.ts";
export type { AudioChannel } from "./cekura-session.ts";

/** What an addon (audio, traces) knows about its session. */
export interface SessionContext {
  readonly id: string;
  readonly mode: Mode;
  readonly agentId: number;
  readonly deferUpload: DeferUpload | undefined;
  /** UTC ISO time of observe()/track(). */
  readonly callStartedAt: string;
  /** performance.now() at observe()/track(), for one clock across transcript and audio. */
  readonly startedAtPerf: number;
  /** `/v1/sessions/<id>`: prefix of this session's Worker routes. */
  readonly basePath: string;
  readonly transport: Transport;
  readonly env: EnvSource;
  readonly enableOtelTraces: boolean;
  /** Reports a background error through the tracer's onError (never throws). */
  readonly report: (error: SdkError) => void;
  /** The session's redaction (observe/track `redact`), applied before anything is queued or sent. */
  readonly redactor?: Redactor;
}

/** Lifecycle hooks an addon may implement; all optional. */
export interface SessionAddon {
  /** Part of session.flush(). */
  flush?(): Promise<void>;
  /** Before the close request; the returned fields are merged into it (e.g. `{ lastAudioSeq }`). */
  beforeClose?(): Promise<Partial<CloseRequest> | void>;
  afterClose?(status: SessionStatus): Promise<void> | void;
  /** session.abort(): drop everything held, stop sending. */
  abort?(): void;
  /** session.abortRecording(): drop audio only. */
  abortRecording?(): Promise<void> | void;
}

export interface AudioAddon extends SessionAddon {
  /** `atMs`: epoch ms at which the first sample plays; default now. */
  push(channel: AudioChannel, pcm: Int16Array, sampleRate: number, atMs?: number): void;
  /** Acknowledged chunks and bytes, and samples dropped while the network was behind. */
  counts?(): { chunks: number; bytes: number; droppedSamples: number };
  /** Drops audio queued on `channel` that had not played by `atMs` (epoch ms; default now). */
  interrupt?(channel: AudioChannel, atMs?: number): void;
  /** How each channel was placed (runs, largest correction, ms cut), said in the record at close. */
  placement?(): Record<AudioChannel, { runs: number; maxCorrectionMs: number; cutMs: number }>;
}

export interface TracesAddon extends SessionAddon {
  startTurn(): Turn;
  /** Tool calls recorded during a turn become `tool_call` spans. */
  toolCall?(id: string, name: string, input: unknown): void;
  toolResult?(id: string, output: unknown, isError: boolean): void;
}

export interface SessionConfig {
  queue: QueueOptions;
  captureLogs: boolean;
  captureConsole: boolean;
  /** flush() rejects with TimeoutError after this long (delivery keeps going). */
  flushTimeoutMs: number;
  /** close() resolves or rejects within this long, whatever the network does. */
  closeTimeoutMs: number;
  customMetadata?: Record<string, unknown>;
  /** Extra attributes on the `conversation` span (Pipecat's additionalSpanAttributes). */
  additionalSpanAttributes?: SpanAttributes;
  /** The spans' resource `service.name` (CekuraTracer's serviceName). */
  serviceName?: string;
  /** Session audio rate (default 16 kHz), chunk length etc. (sdk/audio/). */
  audio?: AudioOptions;
}

type Phase = "open" | "closing" | "close-sent" | "closed" | "aborted";

const NOOP_TURN: Turn = noopTurn();

/** The calls that never throw into the agent (sdk/internal/non-throwing.ts); `logger` goes through log(). */
const RECORDING_CALLS = [
  "transcript",
  "toolCall",
  "toolResult",
  "log",
  "setCustomMetadata",
  "audio",
  "interruptAudio",
  "startTurn",
  "recordConsole",
] as const;

export class Session implements CekuraSession, ConsoleSink {
  readonly id: string;
  readonly mode: Mode;
  readonly logger: SessionLogger;
  readonly captureConsole: boolean;
  readonly #ctx: SessionContext;
  readonly #config: SessionConfig;
  readonly #queue: EventQueue;
  readonly #metadata: Record<string, unknown> = {};
  #phase: Phase = "open";
  #closing: Promise<SessionStatus> | undefined;
  /** Cancels a close() in progress (its timeout, or abort() before the close request went out). */
  #closeStop: AbortController | undefined;
  /** Set for good once a close request was handed to fetch: from then on abort() is refused. */
  #closeSent = false;
  /** abortRecording() was called: the audio is gone on purpose, so a one-sided recording is no gap. */
  #recordingAborted = false;
  readonly #recorded = {
    transcripts: 0,
    toolCalls: 0,
    toolResults: 0,
    logs: 0,
    metadataPatches: 0,
    user: 0,
    assistant: 0,
  };
  #audio: AudioAddon | undefined;
  #ignoredAudioSamples = 0;
  /** Recording calls that threw inside (bad input, after close/abort) and texts cut to the limit. */
  readonly #refused = { invalidCalls: 0, afterClose: 0, truncatedTexts: 0 };
  #traces: TracesAddon | undefined;

  constructor(ctx: SessionContext, config: SessionConfig) {
    this.id = ctx.id;
    this.mode = ctx.mode;
    this.#ctx = ctx;
    this.#config = config;
    this.captureConsole = config.captureConsole;
    this.#queue = new EventQueue(
      config.queue,
      {
        agentId: ctx.agentId,
        mode: ctx.mode,
        deferUpload: ctx.deferUpload,
        callStartedAt: ctx.callStartedAt,
        sdk: sdkFacts(),
        ...(ctx.redactor?.active ? { redact: ctx.redactor.rules } : {}),
      },
      `${ctx.basePath}/fragments`,
      ctx.transport,
      ctx.report,
      ctx.redactor?.active ? (event) => ctx.redactor!.event(event, LIMITS.textLength) : undefined,
    );
    this.logger = createSessionLogger(
      (level, message, attributes) => this.log(level, message, attributes),
      config.captureLogs ? "info" : undefined,
    );
    if (ctx.mode === "observe") this.#audio = createAudioAddon(ctx, config.audio);
    // Traces helper: this.#traces = createTracesAddon(ctx) (sdk/otel/) when ctx.enableOtelTraces.
    if (ctx.enableOtelTraces)
      this.#traces = createTracesAddon(ctx, config.additionalSpanAttributes, config.serviceName);
    if (config.customMetadata !== undefined) this.setCustomMetadata(config.customMetadata);
    sessionStarted(this);
    // From here on (construction's configuration errors excepted) no recording call throws into the agent.
    guardRecordingCalls(this, RECORDING_CALLS, (call, error) => this.#refuse(call, error));
  }

  /** A recording call threw: counted, reported through onError, and a no-op for the agent. */
  #refuse(call: string, error: unknown): unknown {
    if (error instanceof SessionClosedError) {
      // Reported once: an agent that keeps recording after close would otherwise flood onError.
      if (this.#refused.afterClose++ === 0) this.#ctx.report(error);
    } else {
      this.#refused.invalidCalls++;
      this.#ctx.report(
        error instanceof SdkError
          ? error
          : new SdkError(
              "invalid_input",
              `${call}() failed: ${error instanceof Error ? error.message : String(error)}`,
              {
                cause: error,
              },
            ),
      );
    }
    return call === "startTurn" ? NOOP_TURN : undefined;
  }

  /** `value` as recorded text: over the length limit it is cut to it, reported and counted. */
  #fitText(value: unknown, what: string): string {
    if (typeof value === "string" && value.length > LIMITS.textLength) {
      this.#refused.truncatedTexts++;
      this.#ctx.report(
        new ValidationError(
          `${what} must be at most ${LIMITS.textLength} characters, got ${value.length}: recorded cut to ${LIMITS.textLength}`,
        ),
      );
      return value.slice(0, LIMITS.textLength);
    }
    return boundedText(value, what);
  }

  /** The session's shared context (for addons and tests). */
  get context(): SessionContext {
    return this.#ctx;
  }

  /** One transcript turn. `startedAt`/`endedAt`: Date or epoch ms; default now. */
  transcript(input: TranscriptInput): void {
    this.#assertRecording("transcript");
    const o = plainObject(input, "transcript(input)");
    if (o.role !== "user" && o.role !== "assistant" && o.role !== "system") {
      throw new ValidationError(`transcript role must be "user", "assistant" or "system", got ${describe(o.role)}`);
    }
    const text = this.#fitText(o.text, "transcript text");
    const now = utcNow();
    const startedAt = utcTime(o.startedAt, "transcript startedAt", now);
    const endedAt = utcTime(o.endedAt, "transcript endedAt", o.startedAt === undefined ? now : startedAt);
    if (endedAt < startedAt)
      throw new ValidationError(`transcript endedAt (${endedAt}) is before startedAt (${startedAt})`);
    this.#queue.push({ kind: "transcript", role: o.role, text, startedAt, endedAt }, text.length + 110);
    this.#recorded.transcripts++;
  }

  /** A tool call; `arguments` is any JSON value (sent as a JSON string). */
  toolCall(input: ToolCallInput): void {
    this.#assertRecording("toolCall");
    const o = plainObject(input, "toolCall(input)");
    const id = identifier(o.id, "toolCall id");
    const name = identifier(o.name, "toolCall name");
    const args = toolJsonText(o.arguments === undefined ? {} : o.arguments, "toolCall arguments");
    this.#queue.push(
      { kind: "tool_call", id, name, arguments: args, time: utcNow() },
      id.length + name.length + args.length + 90,
    );
    this.#recorded.toolCalls++;
    this.#traces?.toolCall?.(id, name, args);
  }

  /** The result of a tool call with the same `id`; `result` is any JSON value. */
  toolResult(input: ToolResultInput): void {
    this.#assertRecording("toolResult");
    const o = plainObject(input, "toolResult(input)");
    const id = identifier(o.id, "toolResult id");
    const name = o.name === undefined ? undefined : identifier(o.name, "toolResult name");
    const result = toolJsonText(o.result === undefined ? null : o.result, "toolResult result");
    if (o.isError !== undefined && typeof o.isError !== "boolean")
      throw new ValidationError(`toolResult isError must be a boolean, got ${describe(o.isError)}`);
    const event: SessionEvent = { kind: "tool_result", id, result, isError: o.isError === true, time: utcNow() };
    if (name !== undefined) event.name = name;
    this.#queue.push(event, id.length + (name?.length ?? 0) + result.length + 100);
    this.#recorded.toolResults++;
    this.#traces?.toolResult?.(id, result, o.isError === true);
  }

  /** A log line in the session's record (always recorded; `logger` applies captureLogs). */
  log(anyLevel: AnyLogLevel, message: string, attributes?: Record<string, unknown>): void {
    this.#assertRecording("log");
    const level = logLevelOf(anyLevel);
    if (level === undefined) {
      throw new ValidationError(
        `log level must be one of ${LOG_LEVELS.join(", ")} (or Python's warning, critical, exception), got ${describe(anyLevel)}`,
      );
    }
    const text = this.#fitText(message, "log message");
    const event: SessionEvent = { kind: "log", level, message: text, time: utcNow() };
    let bytes = text.length + 70;
    if (attributes !== undefined) {
      const attrs = boundedJsonObject(attributes, "log attributes", LIMITS.logAttributesBytes);
      event.attributes = attrs.value;
      bytes += attrs.bytes;
    }
    this.#queue.push(event, bytes);
    this.#recorded.logs++;
  }

  /** Shallow-merges `patch` into the custom metadata (a null value deletes a key). */
  setCustomMetadata(patch: Record<string, unknown>): void {
    if (this.#phase === "aborted")
      throw new SessionClosedError(`session "${this.id}" was aborted; setCustomMetadata is no longer possible`);
    if (this.#phase === "close-sent" || this.#phase === "closed") {
      throw new SessionClosedError(
        `session "${this.id}" was closed and its record is immutable; setCustomMetadata must come before close() is acknowledged`,
      );
    }
    const { value, bytes } = boundedJsonObject(patch, "custom metadata", LIMITS.metadataBytes);
    const problem = metadataPatchProblem(this.mode, value);
    if (problem) throw new ValidationError(`custom metadata ${problem.field} ${problem.problem}`, problem.field);
    const merged = { ...this.#metadata };
    for (const [k, v] of Object.entries(value)) {
      if (v === null) delete merged[k];
      else merged[k] = v;
    }
    const mergedBytes = JSON.stringify(merged).length;
    if (mergedBytes > LIMITS.metadataBytes) {
      throw new ValidationError(
        `custom metadata of a session must stay within ${LIMITS.metadataBytes} bytes of JSON; this patch makes it ${mergedBytes}`,
      );
    }
    for (const key of Object.keys(this.#metadata)) delete this.#metadata[key];
    Object.assign(this.#metadata, merged);
    this.#queue.push({ kind: "metadata", patch: value, time: utcNow() }, bytes + 60);
    this.#recorded.metadataPatches++;
  }

  /** A copy of the merged custom metadata. */
  getCustomMetadata(): Record<string, unknown> {
    return JSON.parse(JSON.stringify(this.#metadata)) as Record<string, unknown>;
  }

  /**
   * Mono s16 PCM (Int16Array, or s16le bytes) for one side of the call, placed on the session clock:
   * it starts at `at` (Date or epoch ms; default now) and silence fills gaps. Only copies (sdk/audio/).
   * Track sessions record no audio: there this is a documented no-op, counted in `ignoredAudioSamples`.
   */
  audio(channel: AudioChannel, pcm: Int16Array | Uint8Array, sampleRate: number, at?: Date | number): void {
    this.#assertRecording("audio");
    if (channel !== "user" && channel !== "assistant")
      throw new ValidationError(`audio channel must be "user" or "assistant", got ${describe(channel)}`);
    if (!(pcm instanceof Int16Array) && !(pcm instanceof Uint8Array && pcm.byteLength % 2 === 0)) {
      throw new ValidationError(
        `audio pcm must be an Int16Array of mono s16 samples (or s16le bytes, an even count), got ${describe(pcm)}`,
      );
    }
    if (!Number.isInteger(sampleRate) || sampleRate < 8000 || sampleRate > 192000) {
      throw new ValidationError(
        `audio sampleRate must be an integer between 8000 and 192000, got ${describe(sampleRate)}`,
      );
    }
    const atMs = at === undefined ? undefined : at instanceof Date ? at.getTime() : at;
    if (atMs !== undefined && !Number.isFinite(atMs))
      throw new ValidationError(`audio at must be a Date or epoch ms, got ${describe(at)}`);
    const samples = pcm instanceof Int16Array ? pcm : bytesToSamples(pcm);
    if (this.mode === "track") {
      this.#ignoredAudioSamples += samples.length;
      return;
    }
    this.#recorded[channel] += samples.length;
    this.#audio?.push(channel, samples, sampleRate, atMs);
  }

  /**
   * Playback on `channel` was cut at `at` (Date or epoch ms; default now), e.g. a barge-in: audio given
   * without `at` that was queued on that channel and had not played by then is dropped (sdk/audio/placement.ts).
   */
  interruptAudio(channel: AudioChannel, at?: Date | number): void {
    this.#assertRecording("interruptAudio");
    if (channel !== "user" && channel !== "assistant")
      throw new ValidationError(`interruptAudio channel must be "user" or "assistant", got ${describe(channel)}`);
    const atMs = at === undefined ? undefined : at instanceof Date ? at.getTime() : at;
    if (atMs !== undefined && !Number.isFinite(atMs))
      throw new ValidationError(`interruptAudio at must be a Date or epoch ms, got ${describe(at)}`);
    this.#audio?.interrupt?.(channel, atMs);
  }

  /** Samples passed to audio() on a track session: accepted, counted, never sent. */
  get ignoredAudioSamples(): number {
    return this.#ignoredAudioSamples;
  }

  /** Counts of what was recorded, sent and dropped so far. */
  stats(): SessionStats {
    const r = this.#recorded;
    const q = this.#queue.counts;
    const audio = this.#audio?.counts?.() ?? { chunks: 0, bytes: 0, droppedSamples: 0 };
    return {
      recorded: {
        transcripts: r.transcripts,
        toolCalls: r.toolCalls,
        toolResults: r.toolResults,
        logs: r.logs,
        metadataPatches: r.metadataPatches,
        audioSamples: { user: r.user, assistant: r.assistant },
      },
      sent: { fragments: q.fragments, events: q.events, audioChunks: audio.chunks, audioBytes: audio.bytes },
      dropped: {
        events: q.dropped,
        audioSamples: audio.droppedSamples,
        ignoredAudioSamples: this.#ignoredAudioSamples,
        ...this.#refused,
      },
      queuedBytes: this.#queue.queuedBytes,
    };
  }

  /** Starts a conversation turn (OTel spans; a no-op turn when traces are off). */
  startTurn(): Turn {
    this.#assertRecording("startTurn");
    return this.#traces?.startTurn() ?? NOOP_TURN;
  }

  /** Resolves once everything recorded so far is acknowledged by the Worker (use with ctx.waitUntil). */
  async flush(): Promise<void> {
    await this.#withTimeout(this.#flushAll(), this.#config.flushTimeoutMs, "flush()");
  }

  /**
   * Flushes, sends close with the last seq and resolves with the Worker's final status, within
   * closeTimeoutMs whatever the network does. Recording calls throw from here on. Calling it twice
   * returns the same promise.
   */
  close(options: CloseOptions = {}): Promise<SessionStatus> {
    if (this.#phase === "aborted")
      return Promise.reject(new SessionClosedError(`session "${this.id}" was aborted; there is nothing to close`));
    if (this.#closing) return this.#closing;
    let reason: string | undefined;
    if (options.reason !== undefined) {
      const problem = closeReasonProblem(options.reason);
      if (problem !== undefined) return Promise.reject(new ValidationError(`close reason: ${problem}`));
      reason = options.reason;
    }
    if (this.#phase === "open") this.#warnCaptureGaps();
    this.#phase = "closing";
    sessionEnded(this);
    const ms = this.#config.closeTimeoutMs;
    const stop = new AbortController();
    this.#closeStop = stop;
    const timer = setTimeout(
      () =>
        stop.abort(
          new TimeoutError(
            `close() did not finish within ${ms} ms (closeTimeoutMs); delivery continues in the background and a later close() tries again`,
          ),
        ),
      ms,
    );
    this.#closing = untilStopped(this.#close(reason, Date.now() + ms, stop.signal), stop.signal)
      .finally(() => {
        clearTimeout(timer);
        if (this.#closeStop === stop) this.#closeStop = undefined;
      })
      .catch((error: unknown) => {
        // Not closed after all (Worker unreachable, timed out...): a later close() tries again.
        if (this.#phase !== "aborted") {
          this.#closing = undefined;
          this.#phase = "closing";
        }
        throw error;
      });
    return this.#closing;
  }

  /** Consent: release what deferUpload held (POST /consent). */
  async startAudioUpload(): Promise<SessionStatus> {
    this.#assertNotAborted("startAudioUpload");
    return this.#ctx.transport.sendJson<SessionStatus>(`${this.#ctx.basePath}/consent`, this.#control());
  }

  /**
   * Deletes everything captured, here and in the Worker (POST /abort). The session accepts nothing
   * more. It wins over a close() whose request has not gone out (that close() rejects); once close
   * was sent, abort() rejects and sends nothing: exactly one of the two requests is ever made.
   */
  async abort(): Promise<SessionStatus> {
    this.#assertNotAborted("abort");
    if (this.#closeSent) {
      throw new SessionClosedError(
        `session "${this.id}" was already closed (the close request was sent); abort() can no longer delete it`,
      );
    }
    this.#phase = "aborted";
    this.#closeStop?.abort(
      new SessionClosedError(`session "${this.id}" was aborted before its close request was sent; nothing was closed`),
    );
    sessionEnded(this);
    this.#queue.drop();
    for (const addon of this.#addons()) addon.abort?.();
    return this.#ctx.transport.sendJson<SessionStatus>(`${this.#ctx.basePath}/abort`, this.#control());
  }

  /** Drops the audio only, keeping the rest (POST /abort-recording). */
  async abortRecording(): Promise<SessionStatus> {
    this.#assertNotAborted("abortRecording");
    this.#recordingAborted = true;
    await this.#audio?.abortRecording?.();
    return this.#ctx.transport.sendJson<SessionStatus>(`${this.#ctx.basePath}/abort-recording`, this.#control());
  }

  /** Seq of the last fragment built (-1 before the first). */
  get lastSeq(): number {
    return this.#queue.lastSeq;
  }

  /** Bytes queued and not yet acknowledged. */
  get queuedBytes(): number {
    return this.#queue.queuedBytes;
  }

  /** console capture sink (captureConsole). */
  recordConsole(level: LogLevel, message: string): void {
    if (this.#phase !== "open") return;
    this.log(level, message.length > LIMITS.textLength ? message.slice(0, LIMITS.textLength) : message);
  }

  #addons(): SessionAddon[] {
    const list: SessionAddon[] = [];
    if (this.#audio) list.push(this.#audio);
    if (this.#traces) list.push(this.#traces);
    return list;
  }

  /** Body of consent/abort calls: introduces the session when it is the Worker's first contact. */
  #control(): { agentId: number; mode: Mode; callStartedAt: string; deferUpload?: DeferUpload } {
    const body: { agentId: number; mode: Mode; callStartedAt: string; deferUpload?: DeferUpload } = {
      agentId: this.#ctx.agentId,
      mode: this.#ctx.mode,
      callStartedAt: this.#ctx.callStartedAt,
    };
    if (this.#ctx.deferUpload !== undefined) body.deferUpload = this.#ctx.deferUpload;
    return body;
  }

  async #flushAll(): Promise<void> {
    // Events recorded while a flush runs (e.g. setCustomMetadata during close) are flushed too.
    do {
      await Promise.all([this.#queue.flush(), ...this.#addons().map((a) => a.flush?.())]);
    } while (this.#queue.pendingEvents > 0);
  }

  async #close(reason: string | undefined, deadline: number, signal: AbortSignal): Promise<SessionStatus> {
    try {
      await untilStopped(this.#flushAll(), signal);
      const extra: Partial<CloseRequest> = {};
      for (const addon of this.#addons())
        Object.assign(extra, (await untilStopped(Promise.resolve(addon.beforeClose?.()), signal)) ?? {});
      const placement = this.#audio?.placement?.();
      if (placement && (placement.user.runs > 0 || placement.assistant.runs > 0))
        this.#queue.push(
          { kind: "log", level: "info", message: "audio placement", time: utcNow(), attributes: placement },
          260,
        );
      await untilStopped(this.#flushAll(), signal);
      // abort() or the timeout may have come while this was waiting: then close is never sent.
      if (signal.aborted) throw signal.reason;
      const request: CloseRequest = {
        lastSeq: this.#queue.lastSeq,
        reason: reason ?? "agent-ended-call",
        agentId: this.#ctx.agentId,
        mode: this.#ctx.mode,
        callStartedAt: this.#ctx.callStartedAt,
        ...(this.#ctx.deferUpload !== undefined ? { deferUpload: this.#ctx.deferUpload } : {}),
        ...extra,
      };
      this.#phase = "close-sent";
      this.#closeSent = true;
      let status = await this.#ctx.transport.sendJson<SessionStatus>(`${this.#ctx.basePath}/close`, request, {
        signal,
      });
      this.#phase = "closed";
      status = await this.#awaitFinal(status, deadline, signal);
      for (const addon of this.#addons()) await addon.afterClose?.(status);
      return status;
    } finally {
      this.#queue.dispose();
    }
  }

  /** A `closing` session is waiting for missing seqs: poll its status until it settles or time runs out. */
  async #awaitFinal(first: SessionStatus, deadline: number, signal: AbortSignal): Promise<SessionStatus> {
    let status = first;
    let wait = 100;
    // Leave room for the last poll to answer before close()'s own deadline.
    while (status.state === "closing" && Date.now() + wait < deadline && !signal.aborted) {
      await sleep(wait, signal);
      wait = Math.min(wait * 2, 1000);
      if (signal.aborted) break;
      status = (await this.#ctx.transport.send<SessionStatus>({ method: "GET", path: this.#ctx.basePath, signal }))
        .body;
    }
    return status;
  }

  /** Capture gaps the Python SDK calls "missing aggregators": said once, at close, through onError. */
  #warnCaptureGaps(): void {
    const r = this.#recorded;
    if (r.transcripts === 0) {
      this.#ctx.report(
        new SdkError(
          "capture_gap",
          `session "${this.id}" recorded no transcript at all: is the transcript source wired to session.transcript() (or an adapter)?`,
        ),
      );
    }
    if (this.mode === "observe" && !this.#recordingAborted && r.user > 0 !== r.assistant > 0) {
      const [has, missing] = r.user > 0 ? ["user", "assistant"] : ["assistant", "user"];
      this.#ctx.report(
        new SdkError(
          "capture_gap",
          `session "${this.id}" recorded audio on the ${has} channel only: no ${missing} audio reached session.audio()`,
        ),
      );
    }
  }

  #assertRecording(call: string): void {
    if (this.#phase === "open") return;
    if (this.#phase === "aborted")
      throw new SessionClosedError(`session "${this.id}" was aborted; ${call}() records nothing more`);
    throw new SessionClosedError(`session "${this.id}" is closed; ${call}() must come before close()`);
  }

  #assertNotAborted(call: string): void {
    if (this.#phase === "aborted")
      throw new SessionClosedError(`session "${this.id}" was aborted; ${call}() is no longer possible`);
  }

  async #withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new TimeoutError(`${what} did not finish within ${ms} ms; delivery continues in the background`)),
        ms,
      );
    });
    try {
      return await Promise.race([work, timeout]);
    } finally {
      if (timer !== undefined) clearTimeout(timer);
    }
  }
}

/** `work`, or the signal's reason as soon as it aborts (the work itself is left to finish or fail). */
function untilStopped<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const stopped = () => reject(signal.reason);
    signal.addEventListener("abort", stopped, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener("abort", stopped);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", stopped);
        reject(signal.aborted ? signal.reason : error);
      },
    );
  });
}
