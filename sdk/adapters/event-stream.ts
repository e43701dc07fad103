/**
 * The generic event-stream adapter: the pattern every framework adapter follows.
 *
 * A framework emits events (`on(name, fn)`); each handler maps one event to recording calls on a
 * `Recorder`, which owns one Cekura session: transcript turns, paired tool calls, the current OTel
 * turn (stt/llm/tts spans), both audio channels, and closing once. Handlers never throw into the
 * framework (errors go to `onError`) and record nothing once the session is closing.
 *
 * ```ts
 * const observed = observeEventStream(cekura, agent, {
 *   userSpeech: (rec, e) => rec.transcript("user", e.text, e.start, e.end),
 *   toolStart: (rec, e) => rec.toolCall(e.id, e.name, e.args),
 *   toolEnd: (rec, e) => rec.toolResult(e.id, e.output),
 *   end: (rec) => void rec.close(),
 * });
 * ```
 * No framework is imported here; the core SDK never imports one either.
 */
import type { CekuraSession, CekuraTracer, ObserveOptions, SessionStatus, Turn, TurnEndOptions } from "../index.ts";

export interface AdapterOptions extends ObserveOptions {
  /** "track" for test runs (no audio); default "observe". */
  mode?: "observe" | "track";
  /** Close reason when the framework's session ends (default "agent-ended-call"). */
  closeReason?: string;
  /** Errors raised while recording (the framework never sees them); default console.warn. */
  onError?: (error: unknown) => void;
  /** Record into this session (the app's, or another adapter's on the same call) instead of opening one. */
  session?: CekuraSession;
}

/** What an adapter hands back: the Cekura session and its end. */
export interface Observed {
  readonly session: CekuraSession;
  /** Settles once the Cekura session is closed: its final status, or undefined if closing failed. */
  readonly closed: Promise<SessionStatus | undefined>;
  /** Ends the current turn, stops listening and closes the Cekura session (idempotent). */
  close(reason?: string): Promise<SessionStatus | undefined>;
  /** Stops listening without closing. */
  detach(): void;
}

export type AudioData = Int16Array | ArrayBuffer | ArrayBufferView;
type Time = Date | number;

/** Recording helpers bound to one Cekura session; every method is safe to call from an event handler. */
export class Recorder implements Observed {
  readonly session: CekuraSession;
  readonly closed: Promise<SessionStatus | undefined>;
  readonly #onError: (error: unknown) => void;
  readonly #closeReason: string | undefined;
  readonly #detachers: Array<() => void> = [];
  readonly #openTools = new Set<string>();
  #turn: Turn | undefined;
  #closing: Promise<SessionStatus | undefined> | undefined;
  #settle!: (status: SessionStatus | undefined) => void;

  constructor(cekura: CekuraTracer, options: AdapterOptions = {}) {
    const { mode, closeReason, onError, session, ...observe } = options;
    this.#onError = onError ?? ((error) => console.warn("[cekura adapter]", error));
    this.#closeReason = closeReason;
    if (session) {
      this.session = session;
    } else if (mode === "track") {
      const { deferUpload: _ignored, ...track } = observe;
      this.session = cekura.track(track);
    } else {
      this.session = cekura.observe(observe);
    }
    this.closed = new Promise((resolve) => (this.#settle = resolve));
  }

  /** True once close() was called: handlers record nothing more. */
  get ending(): boolean {
    return this.#closing !== undefined;
  }

  /** Runs `fn` unless closing; any error goes to onError. */
  safely(fn: () => void): void {
    if (this.#closing) return;
    try {
      fn();
    } catch (error) {
      this.#onError(error);
    }
  }

  report(error: unknown): void {
    this.#onError(error);
  }

  /** One transcript turn; empty text is skipped. */
  transcript(
    role: "user" | "assistant" | "system",
    text: string | null | undefined,
    startedAt?: Time,
    endedAt?: Time,
  ): void {
    const trimmed = text?.trim();
    if (!trimmed) return;
    this.safely(() => this.session.transcript({ role, text: trimmed, startedAt, endedAt }));
  }

  /** A tool call; `args` may be a JSON string (parsed when it is valid JSON). */
  toolCall(id: string, name: string, args: unknown): void {
    this.safely(() => {
      this.session.toolCall({ id, name, arguments: parseJsonText(args) });
      this.#openTools.add(id);
    });
  }

  /** The result of tool call `id` (a JSON string result is parsed when valid). */
  toolResult(id: string, result: unknown, isError = false, name?: string): void {
    this.safely(() => {
      this.session.toolResult({ id, name, result: parseJsonText(result) ?? null, isError });
      this.#openTools.delete(id);
    });
  }

  /** Tool calls started and not yet answered. */
  get openToolCalls(): string[] {
    return [...this.#openTools];
  }

  /** Mono s16le PCM of one side; byte buffers are read as little-endian Int16 samples. */
  audio(channel: "user" | "assistant", data: AudioData, sampleRate: number): void {
    this.safely(() => {
      const pcm = toInt16(data);
      if (pcm.length > 0) this.session.audio(channel, pcm, sampleRate);
    });
  }

  log(level: "debug" | "info" | "warn" | "error", message: string, attributes?: Record<string, unknown>): void {
    this.safely(() => this.session.log(level, message, attributes));
  }

  metadata(patch: Record<string, unknown>): void {
    this.safely(() => this.session.setCustomMetadata(patch));
  }

  /** The current OTel turn, started on first use; undefined once closing. */
  turn(): Turn | undefined {
    if (this.#closing) return undefined;
    try {
      this.#turn ??= this.session.startTurn();
    } catch (error) {
      this.#onError(error);
    }
    return this.#turn;
  }

  /** Whether a turn is open. */
  get inTurn(): boolean {
    return this.#turn !== undefined;
  }

  /** Ends the current turn (its open spans too). */
  endTurn(options?: TurnEndOptions): void {
    const turn = this.#turn;
    this.#turn = undefined;
    if (!turn) return;
    try {
      turn.end(options);
    } catch (error) {
      this.#onError(error);
    }
  }

  /** Registers a clean-up run by detach() / close(). */
  onDetach(fn: () => void): void {
    this.#detachers.push(fn);
  }

  detach(): void {
    for (const fn of this.#detachers.splice(0)) {
      try {
        fn();
      } catch (error) {
        this.#onError(error);
      }
    }
  }

  close(reason?: string): Promise<SessionStatus | undefined> {
    if (this.#closing) return this.#closing;
    this.endTurn();
    this.#closing = (async () => {
      this.detach();
      try {
        const finalReason = reason ?? this.#closeReason;
        return await this.session.close(finalReason === undefined ? {} : { reason: finalReason });
      } catch (error) {
        this.#onError(error);
        return undefined;
      }
    })();
    void this.#closing.then((status) => this.#settle(status));
    return this.#closing;
  }
}

/** An event source in any of the usual shapes (Node EventEmitter, typed emitters, the agents SDK shim). */
export interface EventSource {
  on(event: string, listener: Listener): unknown;
  off?(event: string, listener: Listener): unknown;
  removeListener?(event: string, listener: Listener): unknown;
}
// Listener arguments are whatever the framework emits; `any` keeps every emitter shape assignable.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Listener = (...args: any[]) => void;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Handlers = Record<string, (recorder: Recorder, ...args: any[]) => void>;

/** Subscribes `handlers` to `source` for `recorder`; unsubscribed by recorder.detach()/close(). */
export function listen(recorder: Recorder, source: EventSource, handlers: Handlers): void {
  for (const [event, handler] of Object.entries(handlers)) {
    const call = handler as (recorder: Recorder, ...args: unknown[]) => void;
    const listener: Listener = (...args: unknown[]) => {
      if (recorder.ending) return;
      try {
        call(recorder, ...args);
      } catch (error) {
        recorder.report(error);
      }
    };
    source.on(event, listener);
    recorder.onDetach(() => {
      if (typeof source.off === "function") source.off(event, listener);
      else source.removeListener?.(event, listener);
    });
  }
}

/** The generic adapter: one Cekura session recorded from `source`'s events through `handlers`. */
export function observeEventStream(
  cekura: CekuraTracer,
  source: EventSource,
  handlers: Handlers,
  options: AdapterOptions = {},
): Recorder {
  const recorder = new Recorder(cekura, options);
  listen(recorder, source, handlers);
  return recorder;
}

/** A JSON string becomes its value; anything else is returned as is. */
export function parseJsonText(value: unknown): unknown {
  if (typeof value !== "string") return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value;
  }
}

function toInt16(data: AudioData): Int16Array {
  if (data instanceof Int16Array) return data;
  const bytes =
    data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const even = bytes.byteLength - (bytes.byteLength % 2);
  if (bytes.byteOffset % 2 === 0) return new Int16Array(bytes.buffer, bytes.byteOffset, even / 2);
  return new Int16Array(bytes.slice(0, even).buffer);
}

/** A framework error (anything thrown or emitted) as one bounded line of text. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  try {
    return JSON.stringify(error).slice(0, 500);
  } catch {
    return String(error);
  }
}
