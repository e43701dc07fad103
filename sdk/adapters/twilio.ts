/**
 * Twilio Media Streams: one line records a phone call from its WebSocket, both audio channels included.
 *
 * ```ts
 * import { observeTwilioStream } from "cekura-edge-tracer/twilio";
 * server.accept();
 * ctx.waitUntil(observeTwilioStream(cekura, server).closed);   // before the app sends anything
 * ```
 * - `start` opens the session: id = callSid (or a custom parameter), custom metadata `twilio` =
 *   stream and account ids, tracks, media format, custom parameters; the `from` / `to` parameters
 *   become customer_number, from_phone_number and to_phone_number (the fields Cekura lifts)
 * - inbound `media` -> user channel at its `timestamp` (ms from the stream's start), μ-law decoded
 * - outbound audio the server sends (`send` is tapped) -> assistant channel at the time it plays:
 *   back to back after audio still queued; `clear` drops what had not played; mark echoes measure
 *   when it really played, and the audio not yet recorded follows them (twilio-playout.ts)
 * - unidirectional streams with both tracks: the `outbound` track's messages -> assistant channel
 * - `dtmf` -> a log entry and a system transcript line; `stop` or the socket closing -> closed
 * Transcript, tool calls and spans come from the app or another adapter on the same session
 * (`started` resolves with it; pass it as `session` to the other adapter).
 *
 * The socket is any of: a Workers WebSocket (after accept()), a Deno or browser-style WebSocket,
 * Node's `ws`. Where the runtime hands socket events to callbacks instead (Bun.serve's `websocket`
 * handlers; a Durable Object's webSocketMessage / webSocketClose after ctx.acceptWebSocket, with
 * `listen: false`), pass them on with `handleMessage` / `handleClose`.
 */
import type { CekuraSession, CekuraTracer, SessionStatus } from "../index.ts";
import { describeError, Recorder, type AdapterOptions } from "./event-stream.ts";
import { decodeMulawBase64 } from "./mulaw.ts";
import { Playout, type PlayedAudio } from "./twilio-playout.ts";

/** The parts of a WebSocket the adapter uses; Workers, Deno, Bun and `ws` sockets all fit. */
export interface TwilioSocket {
  send(data: string): unknown;
  // Listener arguments differ per runtime (a MessageEvent, or the `ws` package's own data types); `any` keeps every socket assignable.
  /* eslint-disable @typescript-eslint/no-explicit-any */
  addEventListener?(type: "message" | "close", listener: (event: any) => void): unknown;
  removeEventListener?(type: "message" | "close", listener: (event: any) => void): unknown;
  on?(event: "message" | "close", listener: (...args: any[]) => void): unknown;
  off?(event: "message" | "close", listener: (...args: any[]) => void): unknown;
  removeListener?(event: "message" | "close", listener: (...args: any[]) => void): unknown;
  /* eslint-enable @typescript-eslint/no-explicit-any */
}

/** The `start` message's `start` object. */
export interface TwilioStart {
  streamSid?: string;
  accountSid?: string;
  callSid?: string;
  tracks?: string[];
  customParameters?: Record<string, string>;
  mediaFormat?: { encoding?: string; sampleRate?: number; channels?: number };
}

export interface TwilioStreamOptions extends AdapterOptions {
  /** Take the session id from this custom parameter (default: the callSid). An explicit `sessionId` wins. */
  sessionIdParameter?: string;
  /** Custom parameters with the caller's and the called number (default "from" and "to"). */
  fromParameter?: string;
  toParameter?: string;
  /** Whose number is Cekura's customer_number: "from" for calls to the agent (default), "to" for calls it places. */
  customer?: "from" | "to";
  /** Close reason when Twilio sends `stop` (default "customer-ended-call"). */
  stopReason?: string;
  /** Close reason when the socket closes without `stop` (default "stream-closed"). */
  disconnectReason?: string;
  /** Called with the session once `start` opened it. */
  onStart?: (session: CekuraSession, start: TwilioStart) => void;
  /**
   * Ms from sending audio to Twilio playing it, assumed until mark echoes measure it (default 0).
   * Send marks (many apps send one after each chunk) and the agent's audio follows Twilio's playback.
   */
  latencyMs?: number;
  /**
   * Subscribe to the socket's message and close events (default true). false: the app passes them on
   * with handleMessage / handleClose (a Durable Object using the hibernation API).
   */
  listen?: boolean;
}

export interface ObservedTwilioStream {
  /** The Cekura session; undefined until `start` arrives. */
  readonly session: CekuraSession | undefined;
  /** Resolves with the session when `start` opens it (undefined if the stream ends first). */
  readonly started: Promise<CekuraSession | undefined>;
  /** Settles once the session is closed: its final status, or undefined if there was none or closing failed. */
  readonly closed: Promise<SessionStatus | undefined>;
  /** Stops listening and closes the session (idempotent). */
  close(reason?: string): Promise<SessionStatus | undefined>;
  /** Stops listening and restores the socket's send, without closing. */
  detach(): void;
  /** A message from Twilio, where socket events reach callbacks (Bun.serve, a hibernating Durable Object). */
  handleMessage(data: unknown): void;
  /** The socket closed, where socket events reach callbacks (Bun.serve, a hibernating Durable Object). */
  handleClose(): void;
}

interface Message {
  event?: unknown;
  start?: TwilioStart;
  media?: { track?: unknown; timestamp?: unknown; payload?: unknown };
  mark?: { name?: unknown };
  dtmf?: { digit?: unknown; track?: unknown };
}

const MULAW = "audio/x-mulaw";
/** Sends held until `start` (an app may answer `start` before this adapter sees it). */
const MAX_EARLY_SENDS = 1000;
/** How often queued outbound audio is committed when no message from Twilio drives it, ms. */
const TICK_MS = 200;

export function observeTwilioStream(
  cekura: CekuraTracer,
  socket: TwilioSocket,
  options: TwilioStreamOptions = {},
): ObservedTwilioStream {
  const {
    sessionIdParameter,
    fromParameter = "from",
    toParameter = "to",
    customer = "from",
    stopReason = "customer-ended-call",
    disconnectReason = "stream-closed",
    onStart,
    latencyMs,
    listen = true,
    ...base
  } = options;
  const report = base.onError ?? ((error: unknown) => console.warn("[cekura adapter]", error));
  const decoder = new TextDecoder();

  let rec: Recorder | undefined;
  /** Epoch ms of `start`: the session's time zero; stream ms s are recorded at t0 + s. */
  let t0 = 0;
  /**
   * Epoch ms that the stream's clock counts from, as seen here: the earliest (arrival - timestamp) of
   * inbound media, so that a slow first message does not shift the server's sends against the caller.
   */
  let anchor = 0;
  let sampleRate = 8000;
  let decodable = true;
  let outboundFromMessages = false;
  let playout = new Playout(sampleRate, { latencyMs });
  let timer: ReturnType<typeof setTimeout> | undefined;
  let ended = false;
  const early: { at: number; data: unknown }[] = [];
  const detachers: Array<() => void> = [];

  let settleStarted!: (session: CekuraSession | undefined) => void;
  const started = new Promise<CekuraSession | undefined>((resolve) => (settleStarted = resolve));
  let settleClosed!: (status: SessionStatus | undefined) => void;
  const closed = new Promise<SessionStatus | undefined>((resolve) => (settleClosed = resolve));
  let closing: Promise<SessionStatus | undefined> | undefined;

  const guard = (fn: () => void) => {
    try {
      fn();
    } catch (error) {
      report(error);
    }
  };
  const streamNow = () => Date.now() - anchor;

  const commit = (played: PlayedAudio[]) => {
    const r = rec;
    if (!r || !decodable) return;
    for (const part of played) r.safely(() => r.session.audio("assistant", part.pcm, sampleRate, t0 + part.atMs));
  };
  const tick = () => {
    timer = undefined;
    if (ended) return;
    guard(() => commit(playout.played(streamNow())));
    if (playout.pending) timer = setTimeout(tick, TICK_MS);
  };
  const schedule = () => {
    if (!ended && timer === undefined && playout.pending) timer = setTimeout(tick, TICK_MS);
  };

  const open = (start: TwilioStart) => {
    if (rec || ended) return;
    const params = isRecord(start.customParameters) ? stringValues(start.customParameters) : {};
    const format = isRecord(start.mediaFormat) ? start.mediaFormat : {};
    const from = params[fromParameter];
    const to = params[toParameter];
    const customerNumber = customer === "to" ? to : from;
    const twilio: Record<string, unknown> = {
      streamSid: start.streamSid,
      accountSid: start.accountSid,
      callSid: start.callSid,
      tracks: start.tracks,
      mediaFormat: format,
      customParameters: params,
    };
    const metadata: Record<string, unknown> = {
      ...base.customMetadata,
      twilio: JSON.parse(JSON.stringify(twilio)) as unknown,
      ...(customerNumber ? { customer_number: customerNumber } : {}),
      ...(from ? { from_phone_number: from } : {}),
      ...(to ? { to_phone_number: to } : {}),
    };
    const sessionId =
      base.sessionId ??
      (sessionIdParameter ? params[sessionIdParameter] : undefined) ??
      start.callSid ??
      start.streamSid;
    t0 = Date.now();
    anchor = t0;
    if (base.session) {
      rec = new Recorder(cekura, base);
      rec.metadata(metadata);
    } else {
      rec = new Recorder(cekura, { ...base, ...(sessionId ? { sessionId } : {}), customMetadata: metadata });
    }
    sampleRate =
      typeof format.sampleRate === "number" && Number.isInteger(format.sampleRate) ? format.sampleRate : 8000;
    playout = new Playout(sampleRate, { latencyMs });
    decodable = format.encoding === undefined || format.encoding === MULAW;
    if (!decodable)
      rec.log("warn", `twilio stream: media encoding ${String(format.encoding)} is not ${MULAW}; no audio is recorded`);
    outboundFromMessages = Array.isArray(start.tracks) && start.tracks.includes("outbound");
    const session = rec.session;
    settleStarted(session);
    if (onStart) guard(() => onStart(session, start));
    for (const sent of early.splice(0)) guard(() => outbound(sent.data, sent.at - anchor));
  };

  const inbound = (message: Message) => {
    const r = rec;
    switch (message.event) {
      case "start":
        if (isRecord(message.start)) open(message.start);
        return;
      case "media": {
        if (!r || r.ending || !decodable || !isRecord(message.media) || typeof message.media.payload !== "string")
          return;
        const media = message.media;
        const pcm = decodeMulawBase64(media.payload as string);
        const timestamp = Number(media.timestamp);
        const at = Number.isFinite(timestamp) ? t0 + timestamp : undefined;
        if (Number.isFinite(timestamp)) anchor = Math.min(anchor, Date.now() - timestamp);
        const channel = media.track === "outbound" ? "assistant" : "user";
        if (channel === "user" || outboundFromMessages) r.safely(() => r.session.audio(channel, pcm, sampleRate, at));
        commit(playout.played(streamNow()));
        return;
      }
      case "mark": {
        const name = isRecord(message.mark) ? message.mark.name : undefined;
        if (r && typeof name === "string") playout.echo(streamNow(), name);
        commit(playout.played(streamNow()));
        schedule();
        return;
      }
      case "dtmf": {
        const digit = isRecord(message.dtmf) ? message.dtmf.digit : undefined;
        if (!r || typeof digit !== "string") return;
        const now = Date.now();
        r.log("info", `DTMF ${digit}`, {
          digit,
          track: message.dtmf?.track ?? "inbound_track",
          streamMs: now - anchor,
        });
        r.transcript("system", `DTMF: ${digit}`, now, now); // wall clock, as transcript from other sources
        return;
      }
      case "stop":
        void finish(stopReason);
        return;
      default:
        return;
    }
  };

  /** What the server sent to Twilio; `now` in stream ms. */
  const outbound = (data: unknown, now: number) => {
    const message = parse(data);
    if (!message || !rec || rec.ending || outboundFromMessages) return;
    switch (message.event) {
      case "media": {
        const payload = isRecord(message.media) ? message.media.payload : undefined;
        if (typeof payload !== "string" || !decodable) return;
        commit(playout.played(now));
        playout.enqueue(now, decodeMulawBase64(payload));
        schedule();
        return;
      }
      case "mark": {
        const name = isRecord(message.mark) ? message.mark.name : undefined;
        if (typeof name === "string") playout.mark(now, name);
        return;
      }
      case "clear": {
        const cutBefore = playout.cutMs;
        commit(playout.clear(now));
        const cutMs = Math.round(playout.cutMs - cutBefore);
        if (cutMs > 0)
          rec.log("info", "twilio stream: outbound audio cleared (barge-in)", { cutMs, streamMs: Math.round(now) });
        return;
      }
      default:
        return;
    }
  };

  function parse(data: unknown): Message | undefined {
    let text: string | undefined;
    if (typeof data === "string") text = data;
    else if (data instanceof ArrayBuffer) text = decoder.decode(data);
    else if (ArrayBuffer.isView(data)) text = decoder.decode(data);
    if (text === undefined || !text.trimStart().startsWith("{")) return undefined;
    try {
      const value: unknown = JSON.parse(text);
      return isRecord(value) ? (value as Message) : undefined;
    } catch {
      return undefined;
    }
  }

  const handleMessage = (data: unknown) => {
    if (ended) return;
    guard(() => {
      const message = parse(data);
      if (message) inbound(message);
    });
  };
  const handleClose = () => {
    void finish(disconnectReason);
  };

  // Listen: addEventListener (Workers, Deno, browsers, ws, Bun clients) or on() (ws, emitters).
  if (listen) guard(() => subscribe());
  function subscribe() {
    if (typeof socket.addEventListener === "function") {
      const onMessage = (event: { data?: unknown }) => handleMessage(event?.data);
      const onClose = () => handleClose();
      socket.addEventListener("message", onMessage);
      socket.addEventListener("close", onClose);
      detachers.push(() => {
        socket.removeEventListener?.("message", onMessage);
        socket.removeEventListener?.("close", onClose);
      });
    } else if (typeof socket.on === "function") {
      const onMessage = (data: unknown) => handleMessage(data);
      const onClose = () => handleClose();
      socket.on("message", onMessage);
      socket.on("close", onClose);
      detachers.push(() => {
        const off = typeof socket.off === "function" ? socket.off.bind(socket) : socket.removeListener?.bind(socket);
        off?.("message", onMessage);
        off?.("close", onClose);
      });
    }
  }

  // Tap send: what the server sends is the agent's side of the call.
  const ownSend = Object.prototype.hasOwnProperty.call(socket, "send");
  const send = socket.send;
  const tapped = function observedSend(this: unknown, ...args: unknown[]): unknown {
    const result = (send as (...a: unknown[]) => unknown).apply(this, args);
    if (!ended) {
      guard(() => {
        if (rec) outbound(args[0], streamNow());
        else if (early.length < MAX_EARLY_SENDS) early.push({ at: Date.now(), data: args[0] });
      });
    }
    return result;
  };
  guard(() => {
    socket.send = tapped as TwilioSocket["send"];
    detachers.push(() => {
      if (socket.send !== tapped) return; // someone wrapped it after us: leave their wrapper in place
      if (ownSend) socket.send = send;
      else delete (socket as Partial<TwilioSocket>).send;
    });
  });

  const detach = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    for (const fn of detachers.splice(0)) guard(fn);
  };

  function finish(reason: string | undefined): Promise<SessionStatus | undefined> {
    if (closing) return closing;
    ended = true;
    detach();
    const r = rec;
    if (!r) {
      settleStarted(undefined);
      closing = Promise.resolve(undefined);
    } else {
      // Audio still queued at the end never plays: only what played until now is kept.
      guard(() => commit(playout.end(streamNow())));
      closing = r.close(reason).catch((error: unknown) => {
        report(new Error(`twilio stream: closing the session failed: ${describeError(error)}`));
        return undefined;
      });
    }
    void closing.then(settleClosed);
    return closing;
  }

  return {
    get session() {
      return rec?.session;
    },
    started,
    closed,
    close: (reason?: string) => finish(reason),
    detach,
    handleMessage,
    handleClose,
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function stringValues(value: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, v] of Object.entries(value)) if (typeof v === "string") out[key] = v;
  return out;
}
