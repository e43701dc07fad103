/**
 * A phone agent on Workers, as an app would write one: it accepts Twilio's Media Streams socket,
 * observes it with one line, and plays a scripted agent (greeting, an answer the caller talks over,
 * a DTMF acknowledgement). Its transcript goes through a second adapter onto the same session.
 * /twilio: the socket is accepted in the Worker (WebSocketPair + accept); /twilio-do: in a Durable
 * Object with the hibernation API (ctx.acceptWebSocket, events in webSocketMessage / webSocketClose).
 * GET /errors answers what the SDK reported (nothing, when all went well).
 */
import { DurableObject } from "cloudflare:workers";
import { CekuraTracer } from "../../../sdk/index.ts";
import { observeEventStream } from "../../../sdk/adapters/event-stream.ts";
import { observeTwilioStream, type ObservedTwilioStream } from "../../../sdk/adapters/twilio.ts";
import { CALL, speechMessages, utterance } from "../twilio-codec.ts";

interface Env {
  INGEST_URL: string;
  API_KEY: string;
  PHONE_CALL: DurableObjectNamespace<PhoneCall>;
}

const errors: string[] = [];
const noteError = (error: unknown) =>
  errors.push(error instanceof Error ? `${error.name}: ${error.message}` : String(error));

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/errors") return Response.json(errors);
    if (request.headers.get("Upgrade") !== "websocket")
      return new Response("expected a WebSocket upgrade", { status: 426 });
    if (url.pathname === "/twilio-do") return env.PHONE_CALL.get(env.PHONE_CALL.newUniqueId()).fetch(request);

    const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
    server.accept();
    const cekura = new CekuraTracer({ apiKey: env.API_KEY, agentId: 7, ingestUrl: env.INGEST_URL, onError: noteError });
    const call = observeTwilioStream(cekura, server, { onError: noteError }); // <- the one line
    ctx.waitUntil(call.closed);
    const hear = agent(cekura, server, call);
    server.addEventListener("message", (event) => hear(event.data));
    return new Response(null, { status: 101, webSocket: client });
  },
};

/** The same agent in a Durable Object that accepts the socket with the hibernation API. */
export class PhoneCall extends DurableObject<Env> {
  readonly #calls = new Map<WebSocket, { call: ObservedTwilioStream; hear: (data: unknown) => void }>();

  override async fetch(): Promise<Response> {
    const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
    this.ctx.acceptWebSocket(server);
    const cekura = new CekuraTracer({
      apiKey: this.env.API_KEY,
      agentId: 7,
      ingestUrl: this.env.INGEST_URL,
      onError: noteError,
    });
    const call = observeTwilioStream(cekura, server, { onError: noteError, listen: false }); // <- the one line
    this.ctx.waitUntil(call.closed);
    this.#calls.set(server, { call, hear: agent(cekura, server, call) });
    return new Response(null, { status: 101, webSocket: client });
  }

  override webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): void {
    const entry = this.#calls.get(ws);
    entry?.call.handleMessage(message);
    entry?.hear(message);
  }

  override webSocketClose(ws: WebSocket, code: number, reason: string): void {
    this.#calls.get(ws)?.call.handleClose();
    this.#calls.delete(ws);
    ws.close(code, reason); // complete the closing handshake
  }
}

/** A tiny event source, as a framework would emit its transcript. */
function emitter() {
  const listeners = new Map<string, Set<(...args: unknown[]) => void>>();
  return {
    on(event: string, fn: (...args: unknown[]) => void) {
      if (!listeners.has(event)) listeners.set(event, new Set());
      listeners.get(event)!.add(fn);
    },
    off(event: string, fn: (...args: unknown[]) => void) {
      listeners.get(event)?.delete(fn);
    },
    emit(event: string, ...args: unknown[]) {
      for (const fn of listeners.get(event) ?? []) fn(...args);
    },
  };
}

/** The scripted agent on `socket`; returns what hears Twilio's messages. */
function agent(cekura: CekuraTracer, socket: WebSocket, call: ObservedTwilioStream): (data: unknown) => void {
  const said = emitter();
  let streamSid = "";
  let answered = false;
  let bargedIn = false;

  const speak = (line: { seconds: number; markers: readonly number[]; mark: string }, text: string) => {
    const pcm = utterance(line.seconds, [...line.markers], CALL.agentHz, CALL.agentMarkerHz);
    for (const sent of speechMessages(streamSid, pcm, line.mark)) socket.send(sent);
    socket.send(JSON.stringify({ event: "mark", streamSid, mark: { name: line.mark } }));
    said.emit("said", "assistant", text);
  };

  return (data) => {
    const message = JSON.parse(String(data)) as {
      event: string;
      start?: { streamSid: string };
      media?: { timestamp: string };
    };
    switch (message.event) {
      case "start":
        streamSid = message.start!.streamSid;
        // The transcript comes from another adapter, recording onto the call's session.
        if (call.session)
          observeEventStream(
            cekura,
            said,
            { said: (rec, role: "user" | "assistant", text: string) => rec.transcript(role, text) },
            { session: call.session },
          );
        speak(CALL.greeting, "Hello, how can I help?");
        break;
      case "media": {
        const timestamp = Number(message.media!.timestamp);
        if (!answered && timestamp >= CALL.answer.afterMs) {
          answered = true;
          said.emit("said", "user", "When are you open?");
          speak(CALL.answer, "We are open from nine to five, every day except Sunday, and on holidays");
        }
        if (answered && !bargedIn && timestamp >= CALL.bargeInAfterMs) {
          bargedIn = true;
          socket.send(JSON.stringify({ event: "clear", streamSid }));
        }
        break;
      }
      case "dtmf":
        speak(CALL.dtmfAck, "You pressed seven.");
        break;
    }
  };
}
