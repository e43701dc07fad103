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
  jsonText,
  plainObject,
  utcNow,
  utcTime,
} from "./internal/validate.ts";
import { createSessionLogger, type SessionLogger } from "./logger.ts";
import {
  closeReasonSchema,
  describeZodError,
  LIMITS,
  logLevelSchema,
  type CloseRequest,
  type DeferUpload,
  type LogLevel,
  type Mode,
  type SessionEvent,
} from "./protocol.ts";
import { EventQueue, type QueueOptions } from "./queue.ts";
import type { Transport } from "./transport.ts";
import { createTracesAddon } from "./otel/addon.ts";
import { createAudioAddon, type AudioOptions } from "./audio/audio-addon.ts";
import { bytesToSamples } from "./audio/interleave.ts";
import { noopTurn } from "./otel/noop.ts";
import type { SpanAttributes, TurnHandle } from "./otel/types.ts";

export type { SessionStatus } from "./wire/status.ts";

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

export type AudioChannel = "user" | "assistant";

export interface AudioAddon extends SessionAddon {
  /** `atMs`: epoch ms at which the first sample plays; default now. */
  push(channel: AudioChannel, pcm: Int16Array, sampleRate: number, atMs?: number): void;
}

/** A conversation turn (sdk/otel/ defines the real one). */
export type Turn = TurnHandle;

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
  /** close() waits at most this long for the Worker to finish a `closing` session. */
  closeTimeoutMs: number;
  customMetadata?: Record<string, unknown>;
  /** Extra attributes on the `conversation` span (Pipecat's additionalSpanAttributes). */
  additionalSpanAttributes?: SpanAttributes;
  /** Session audio rate (default 16 kHz), chunk length etc. (sdk/audio/). */
  audio?: AudioOptions;
}

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

type Phase = "open" | "closing" | "close-sent" | "closed" | "aborted";

const NOOP_TURN: Turn = noopTurn();

export class Session implements ConsoleSink {
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
  #audio: AudioAddon | undefined;
  #ignoredAudioSamples = 0;
  #traces: TracesAddon | undefined;

  constructor(ctx: SessionContext, config: SessionConfig) {
    this.id = ctx.id;
    this.mode = ctx.mode;
    this.#ctx = ctx;
    this.#config = config;
    this.captureConsole = config.captureConsole;
    this.#queue = new EventQueue(
      config.queue,
      { agentId: ctx.agentId, mode: ctx.mode, deferUpload: ctx.deferUpload, callStartedAt: ctx.callStartedAt },
      `${ctx.basePath}/fragments`,
      ctx.transport,
      ctx.report,
    );
    this.logger = createSessionLogger((level, message, attributes) => this.log(level, message, attributes), config.captureLogs ? "info" : undefined);
    if (ctx.mode === "observe") this.#audio = createAudioAddon(ctx, config.audio);
    // Traces helper: this.#traces = createTracesAddon(ctx) (sdk/otel/) when ctx.enableOtelTraces.
    if (ctx.enableOtelTraces) this.#traces = createTracesAddon(ctx, config.additionalSpanAttributes);
    if (config.customMetadata !== undefined) this.setCustomMetadata(config.customMetadata);
    sessionStarted(this);
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
    const text = boundedText(o.text, "transcript text");
    const now = utcNow();
    const startedAt = utcTime(o.startedAt, "transcript startedAt", now);
    const endedAt = utcTime(o.endedAt, "transcript endedAt", o.startedAt === undefined ? now : startedAt);
    if (endedAt < startedAt) throw new ValidationError(`transcript endedAt (${endedAt}) is before startedAt (${startedAt})`);
    this.#queue.push({ kind: "transcript", role: o.role, text, startedAt, endedAt }, text.length + 110);
  }

  /** A tool call; `arguments` is any JSON value (sent as a JSON string). */
  toolCall(input: ToolCallInput): void {
    this.#assertRecording("toolCall");
    const o = plainObject(input, "toolCall(input)");
    const id = identifier(o.id, "toolCall id");
    const name = identifier(o.name, "toolCall name");
    const args = jsonText(o.arguments === undefined ? {} : o.arguments, "toolCall arguments");
    this.#queue.push({ kind: "tool_call", id, name, arguments: args, time: utcNow() }, id.length + name.length + args.length + 90);
    this.#traces?.toolCall?.(id, name, args);
  }

  /** The result of a tool call with the same `id`; `result` is any JSON value. */
  toolResult(input: ToolResultInput): void {
    this.#assertRecording("toolResult");
    const o = plainObject(input, "toolResult(input)");
    const id = identifier(o.id, "toolResult id");
    const name = o.name === undefined ? undefined : identifier(o.name, "toolResult name");
    const result = jsonText(o.result === undefined ? null : o.result, "toolResult result");
    if (o.isError !== undefined && typeof o.isError !== "boolean") throw new ValidationError(`toolResult isError must be a boolean, got ${describe(o.isError)}`);
    const event: SessionEvent = { kind: "tool_result", id, result, isError: o.isError === true, time: utcNow() };
    if (name !== undefined) event.name = name;
    this.#queue.push(event, id.length + (name?.length ?? 0) + result.length + 100);
    this.#traces?.toolResult?.(id, result, o.isError === true);
  }

  /** A log line in the session's record (always recorded; `logger` applies captureLogs). */
  log(level: LogLevel, message: string, attributes?: Record<string, unknown>): void {
    this.#assertRecording("log");
    if (!logLevelSchema.options.includes(level)) {
      throw new ValidationError(`log level must be one of ${logLevelSchema.options.join(", ")}, got ${describe(level)}`);
    }
    const text = boundedText(message, "log message");
    const event: SessionEvent = { kind: "log", level, message: text, time: utcNow() };
    let bytes = text.length + 70;
    if (attributes !== undefined) {
      const attrs = boundedJsonObject(attributes, "log attributes", LIMITS.logAttributesBytes);
      event.attributes = attrs.value;
      bytes += attrs.bytes;
    }
    this.#queue.push(event, bytes);
  }

  /** Shallow-merges `patch` into the custom metadata (a null value deletes a key). */
  setCustomMetadata(patch: Record<string, unknown>): void {
    if (this.#phase === "aborted") throw new SessionClosedError(`session "${this.id}" was aborted; setCustomMetadata is no longer possible`);
    if (this.#phase === "close-sent" || this.#phase === "closed") {
      throw new SessionClosedError(`session "${this.id}" was closed and its record is immutable; setCustomMetadata must come before close() is acknowledged`);
    }
    const { value, bytes } = boundedJsonObject(patch, "custom metadata", LIMITS.metadataBytes);
    const merged = { ...this.#metadata };
    for (const [k, v] of Object.entries(value)) {
      if (v === null) delete merged[k];
      else merged[k] = v;
    }
    const mergedBytes = JSON.stringify(merged).length;
    if (mergedBytes > LIMITS.metadataBytes) {
      throw new ValidationError(`custom metadata of a session must stay within ${LIMITS.metadataBytes} bytes of JSON; this patch makes it ${mergedBytes}`);
    }
    for (const key of Object.keys(this.#metadata)) delete this.#metadata[key];
    Object.assign(this.#metadata, merged);
    this.#queue.push({ kind: "metadata", patch: value, time: utcNow() }, bytes + 60);
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
    if (channel !== "user" && channel !== "assistant") throw new ValidationError(`audio channel must be "user" or "assistant", got ${describe(channel)}`);
    if (!(pcm instanceof Int16Array) && !(pcm instanceof Uint8Array && pcm.byteLength % 2 === 0)) {
      throw new ValidationError(`audio pcm must be an Int16Array of mono s16 samples (or s16le bytes, an even count), got ${describe(pcm)}`);
    }
    if (!Number.isInteger(sampleRate) || sampleRate < 8000 || sampleRate > 192000) {
      throw new ValidationError(`audio sampleRate must be an integer between 8000 and 192000, got ${describe(sampleRate)}`);
    }
    const atMs = at === undefined ? undefined : at instanceof Date ? at.getTime() : at;
    if (atMs !== undefined && !Number.isFinite(atMs)) throw new ValidationError(`audio at must be a Date or epoch ms, got ${describe(at)}`);
    const samples = pcm instanceof Int16Array ? pcm : bytesToSamples(pcm);
    if (this.mode === "track") {
      this.#ignoredAudioSamples += samples.length;
      return;
    }
    this.#audio?.push(channel, samples, sampleRate, atMs);
  }

  /** Samples passed to audio() on a track session: accepted, counted, never sent. */
  get ignoredAudioSamples(): number {
    return this.#ignoredAudioSamples;
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
   * Flushes, sends close with the last seq and resolves with the Worker's final status.
   * Recording calls throw from here on. Calling it twice returns the same promise.
   */
  close(options: CloseOptions = {}): Promise<SessionStatus> {
    if (this.#phase === "aborted") return Promise.reject(new SessionClosedError(`session "${this.id}" was aborted; there is nothing to close`));
    if (this.#closing) return this.#closing;
    let reason: string | undefined;
    if (options.reason !== undefined) {
      const parsed = closeReasonSchema.safeParse(options.reason);
      if (!parsed.success) return Promise.reject(new ValidationError(`close reason: ${describeZodError(parsed.error).replace(/^\(body\): /, "")}`));
      reason = parsed.data;
    }
    this.#phase = "closing";
    sessionEnded(this);
    this.#closing = this.#close(reason).catch((error: unknown) => {
      // Not closed after all (Worker unreachable, flush timed out...): a later close() tries again.
      this.#closing = undefined;
      if (this.#phase === "close-sent") this.#phase = "closing";
      throw error;
    });
    return this.#closing;
  }

  /** Consent: release what deferUpload held (POST /consent). */
  async startAudioUpload(): Promise<SessionStatus> {
    this.#assertNotAborted("startAudioUpload");
    return this.#ctx.transport.sendJson<SessionStatus>(`${this.#ctx.basePath}/consent`, this.#control());
  }

  /** Deletes everything captured, here and in the Worker (POST /abort). The session accepts nothing more. */
  async abort(): Promise<SessionStatus> {
    this.#assertNotAborted("abort");
    this.#phase = "aborted";
    sessionEnded(this);
    this.#queue.drop();
    for (const addon of this.#addons()) addon.abort?.();
    return this.#ctx.transport.sendJson<SessionStatus>(`${this.#ctx.basePath}/abort`, this.#control());
  }

  /** Drops the audio only, keeping the rest (POST /abort-recording). */
  async abortRecording(): Promise<SessionStatus> {
    this.#assertNotAborted("abortRecording");
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

  async #close(reason: string | undefined): Promise<SessionStatus> {
    try {
      await this.flush();
      const extra: Partial<CloseRequest> = {};
      for (const addon of this.#addons()) Object.assign(extra, (await addon.beforeClose?.()) ?? {});
      await this.#flushAll();
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
      let status = await this.#ctx.transport.sendJson<SessionStatus>(`${this.#ctx.basePath}/close`, request);
      this.#phase = "closed";
      status = await this.#awaitFinal(status);
      for (const addon of this.#addons()) await addon.afterClose?.(status);
      return status;
    } finally {
      this.#queue.dispose();
    }
  }

  /** A `closing` session is waiting for missing seqs: poll its status until it settles or time runs out. */
  async #awaitFinal(first: SessionStatus): Promise<SessionStatus> {
    let status = first;
    const deadline = Date.now() + this.#config.closeTimeoutMs;
    let wait = 100;
    while (status.state === "closing" && Date.now() < deadline) {
      await sleep(Math.min(wait, Math.max(0, deadline - Date.now())));
      wait = Math.min(wait * 2, 1000);
      status = (await this.#ctx.transport.send<SessionStatus>({ method: "GET", path: this.#ctx.basePath })).body;
    }
    return status;
  }

  #assertRecording(call: string): void {
    if (this.#phase === "open") return;
    if (this.#phase === "aborted") throw new SessionClosedError(`session "${this.id}" was aborted; ${call}() records nothing more`);
    throw new SessionClosedError(`session "${this.id}" is closed; ${call}() must come before close()`);
  }

  #assertNotAborted(call: string): void {
    if (this.#phase === "aborted") throw new SessionClosedError(`session "${this.id}" was aborted; ${call}() is no longer possible`);
  }

  async #withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new TimeoutError(`${what} did not finish within ${ms} ms; delivery continues in the background`)), ms);
    });
    try {
      return await Promise.race([work, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
