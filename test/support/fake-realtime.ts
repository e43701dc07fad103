/**
 * A local fake of OpenAI's Realtime WebSocket (GA protocol) on 127.0.0.1, for the relay tests and bench.
 * It records exactly what it received (every frame, in order, text or binary, and the handshake), and
 * answers from a script, faster than real time: `input_audio_buffer.commit` or `response.create` starts
 * the next scripted response (its audio as `response.output_audio.delta` chunks, its transcript, an
 * optional function call, usage in `response.done`). `conversation.item.truncate` is honoured (the item's
 * audio ends there; `conversation.item.truncated` answers). Faults: refuse the handshake, drop mid-call.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, type WebSocket } from "ws";

export interface ScriptedResponse {
  /** Audio bytes in the session's output format (pcm16 24 kHz s16le, or G.711 at 8 kHz). */
  audio: Uint8Array;
  transcript: string;
  /** The user's transcript, sent as input transcription before this response (commit-started only). */
  userTranscript?: string;
  functionCall?: { name: string; arguments: string };
  usage?: { input_tokens: number; output_tokens: number; total_tokens: number };
  /** Bytes per audio delta (default 4800). */
  chunkBytes?: number;
}

export interface FakeRealtimeOptions {
  script?: ScriptedResponse[];
  /** Answer the handshake with this HTTP status instead of upgrading. */
  refuseWith?: { status: number; body: string };
  /** After this many frames received, close the socket with this code and reason. */
  dropAfter?: { frames: number; code: number; reason: string };
  /** Never answer the handshake ("hang": the socket stays open, silent) or reset the connection ("reset"). */
  handshakeFault?: "hang" | "reset";
  /** Send every frame received straight back, unchanged, and nothing else (the bench's latency probe). */
  echo?: boolean;
  /** Subprotocol the server selects when the client offers it. */
  acceptProtocol?: string;
}

export type Frame = { text: string } | { binary: Buffer };

export interface FakeConnection {
  url: string;
  headers: IncomingMessage["headers"];
  received: Frame[];
  sent: Frame[];
  closed: { code: number; reason: string } | undefined;
  truncations: Array<{ item_id: string; audio_end_ms: number }>;
  socket: WebSocket;
}

export interface FakeRealtime {
  url: string;
  connections: FakeConnection[];
  /** Handshakes seen (also those refused). */
  handshakes: number;
  /** Sockets whose handshake was left unanswered (`handshakeFault: "hang"`); open until they close. */
  hanging: Duplex[];
  set(options: FakeRealtimeOptions): void;
  stop(): Promise<void>;
}

export async function startFakeRealtime(initial: FakeRealtimeOptions = {}): Promise<FakeRealtime> {
  let options = initial;
  const server: Server = createServer((_req, res) => res.writeHead(404).end());
  const wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (protocols) =>
      options.acceptProtocol && protocols.has(options.acceptProtocol) ? options.acceptProtocol : false,
  });
  const fake: FakeRealtime = {
    url: "",
    connections: [],
    handshakes: 0,
    hanging: [],
    set: (o) => (options = o),
    stop: async () => {
      for (const c of fake.connections) c.socket.terminate();
      for (const socket of fake.hanging) socket.destroy();
      wss.close();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  server.on("upgrade", (req, socket, head) => {
    fake.handshakes++;
    if (options.handshakeFault === "hang") return void fake.hanging.push(socket);
    if (options.handshakeFault === "reset") return void socket.destroy();
    if (options.refuseWith) {
      const body = options.refuseWith.body;
      socket.end(
        `HTTP/1.1 ${options.refuseWith.status} Refused\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => serve(ws, req));
  });
  const serve = (ws: WebSocket, req: IncomingMessage) => {
    const conn: FakeConnection = {
      url: req.url ?? "",
      headers: req.headers,
      received: [],
      sent: [],
      closed: undefined,
      truncations: [],
      socket: ws,
    };
    fake.connections.push(conn);
    const script = [...(options.script ?? [])];
    const drop = options.dropAfter;
    const model = new URL(conn.url, "http://x").searchParams.get("model") ?? "gpt-realtime";
    let session: Record<string, unknown> = {
      type: "realtime",
      object: "realtime.session",
      id: "sess_fake",
      model,
      audio: {
        input: { format: { type: "audio/pcm", rate: 24000 } },
        output: { format: { type: "audio/pcm", rate: 24000 }, voice: "alloy" },
      },
    };
    let n = 0;
    const send = (event: Record<string, unknown>) => {
      const text = JSON.stringify({ event_id: `event_${++n}`, ...event });
      conn.sent.push({ text });
      ws.send(text);
    };
    let responses = 0;
    let appended = 0;
    const respond = (viaCommit: boolean) => {
      const r = script.shift();
      if (!r) return;
      const k = ++responses;
      const responseId = `resp_${k}`,
        itemId = `item_${k}`;
      if (viaCommit) {
        // What a server VAD would have said about the audio appended so far (positions in ms of input audio).
        const input = (session.audio as { input?: { format?: { type?: string } } } | undefined)?.input?.format?.type;
        const bytesPerMs = input === "audio/pcmu" || input === "audio/pcma" ? 8 : 48;
        send({ type: "input_audio_buffer.speech_started", audio_start_ms: 0, item_id: `user_${k}` });
        send({
          type: "input_audio_buffer.speech_stopped",
          audio_end_ms: Math.round(appended / bytesPerMs),
          item_id: `user_${k}`,
        });
      }
      if (viaCommit && r.userTranscript) {
        send({ type: "input_audio_buffer.committed", item_id: `user_${k}`, previous_item_id: null });
        send({
          type: "conversation.item.input_audio_transcription.completed",
          item_id: `user_${k}`,
          content_index: 0,
          transcript: r.userTranscript,
        });
      }
      send({
        type: "response.created",
        response: { id: responseId, object: "realtime.response", status: "in_progress", output: [] },
      });
      send({
        type: "response.output_item.added",
        response_id: responseId,
        output_index: 0,
        item: { id: itemId, type: "message", role: "assistant", content: [] },
      });
      const step = r.chunkBytes ?? 4800;
      for (let i = 0; i < r.audio.length; i += step) {
        const delta = Buffer.from(r.audio.subarray(i, i + step)).toString("base64");
        send({
          type: "response.output_audio.delta",
          response_id: responseId,
          item_id: itemId,
          output_index: 0,
          content_index: 0,
          delta,
        });
      }
      send({
        type: "response.output_audio.done",
        response_id: responseId,
        item_id: itemId,
        output_index: 0,
        content_index: 0,
      });
      send({
        type: "response.output_audio_transcript.done",
        response_id: responseId,
        item_id: itemId,
        output_index: 0,
        content_index: 0,
        transcript: r.transcript,
      });
      const message = {
        id: itemId,
        type: "message",
        status: "completed",
        role: "assistant",
        content: [{ type: "output_audio", transcript: r.transcript }],
      };
      send({ type: "response.output_item.done", response_id: responseId, output_index: 0, item: message });
      if (r.functionCall) {
        // As the API does: the call item is added, its arguments are done, and the item is done (the Agents
        // SDK's transport emits its function_call on that last event).
        const call = { id: `fc_${k}`, type: "function_call", call_id: `call_${k}`, name: r.functionCall.name };
        send({
          type: "response.output_item.added",
          response_id: responseId,
          output_index: 1,
          item: { ...call, status: "in_progress", arguments: "" },
        });
        send({
          type: "response.function_call_arguments.done",
          response_id: responseId,
          item_id: `fc_${k}`,
          output_index: 1,
          call_id: `call_${k}`,
          name: r.functionCall.name,
          arguments: r.functionCall.arguments,
        });
        send({
          type: "response.output_item.done",
          response_id: responseId,
          output_index: 1,
          item: { ...call, status: "completed", arguments: r.functionCall.arguments },
        });
      }
      send({
        type: "response.done",
        response: {
          id: responseId,
          object: "realtime.response",
          status: "completed",
          output: [],
          usage: r.usage ?? { input_tokens: 10, output_tokens: 20, total_tokens: 30 },
        },
      });
    };
    ws.on("message", (data, isBinary) => {
      const frame: Frame = isBinary ? { binary: Buffer.from(data as Buffer) } : { text: data.toString() };
      if (options.echo) return void ws.send(data, { binary: isBinary });
      conn.received.push(frame);
      if (drop && conn.received.length >= drop.frames) {
        ws.close(drop.code, drop.reason);
        return;
      }
      if (!("text" in frame)) return;
      let event: Record<string, unknown> | null;
      try {
        event = JSON.parse(frame.text) as Record<string, unknown> | null;
      } catch {
        event = null;
      }
      if (!event || typeof event !== "object" || Array.isArray(event)) {
        send({
          type: "error",
          error: { type: "invalid_request_error", code: "invalid_json", message: "not an event" },
        });
        return;
      }
      switch (event.type) {
        case "session.update":
          session = { ...session, ...(event.session as Record<string, unknown>) };
          send({ type: "session.updated", session });
          break;
        case "input_audio_buffer.append":
          appended += Buffer.from(String(event.audio ?? ""), "base64").length;
          break;
        case "input_audio_buffer.commit":
          respond(true);
          break;
        case "response.create":
          respond(false);
          break;
        case "conversation.item.create":
          send({ type: "conversation.item.added", item: event.item });
          break;
        case "conversation.item.truncate": {
          const t = { item_id: String(event.item_id), audio_end_ms: Number(event.audio_end_ms) };
          conn.truncations.push(t);
          send({
            type: "conversation.item.truncated",
            item_id: t.item_id,
            content_index: 0,
            audio_end_ms: t.audio_end_ms,
          });
          break;
        }
      }
    });
    ws.on("close", (code, reason) => (conn.closed = { code, reason: reason.toString() }));
    if (!options.echo) send({ type: "session.created", session });
  };
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const address = server.address() as { port: number };
  fake.url = `ws://127.0.0.1:${address.port}/v1/realtime`;
  return fake;
}
