/**
 * A phone agent's Media Streams server in Deno (Deno.serve + upgradeWebSocket) or Bun (Bun.serve,
 * whose socket events arrive in server callbacks), observed with the adapter; the SDK is imported as
 * unbundled TypeScript. argv[0]: JSON {port, ingestUrl, apiKey}. Prints `@@READY` once listening and
 * `@@ERROR <text>` for anything the SDK reports. The agent greets on `start` (a mark after each 100 ms).
 */
import { CekuraTracer } from "../../sdk/index.ts";
import { observeTwilioStream, type ObservedTwilioStream, type TwilioSocket } from "../../sdk/adapters/twilio.ts";
import { CALL, FRAME_SAMPLES, payloadOf, utterance } from "./twilio-codec.ts";

interface Config {
  port: number;
  ingestUrl: string;
  apiKey: string;
}

const g = globalThis as unknown as {
  Deno?: {
    args: string[];
    serve(
      options: { hostname: string; port: number; onListen: () => void },
      handler: (request: Request) => Response,
    ): unknown;
    upgradeWebSocket(request: Request): { socket: WebSocket; response: Response };
  };
  Bun?: {
    argv: string[];
    serve(options: {
      hostname: string;
      port: number;
      fetch(
        request: Request,
        server: { upgrade(request: Request, options: { data: BunData }): boolean },
      ): Response | undefined;
      websocket: {
        open(ws: BunSocket): void;
        message(ws: BunSocket, message: string | Uint8Array): void;
        close(ws: BunSocket): void;
      };
    }): unknown;
  };
};
interface BunData {
  observed?: ObservedTwilioStream;
}
interface BunSocket extends TwilioSocket {
  data: BunData;
}

const args = g.Deno?.args ?? g.Bun?.argv.slice(2) ?? [];
const config = JSON.parse(args[0] ?? "{}") as Config;
// close()'s capture_gap warning is expected here: this agent records audio and no transcript.
const report = (error: unknown) => {
  const kind = (error as { code?: string }).code === "capture_gap" ? "@@WARN" : "@@ERROR";
  console.log(`${kind} ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
};
const cekura = new CekuraTracer({ apiKey: config.apiKey, agentId: 7, ingestUrl: config.ingestUrl, onError: report });

/** The agent's side: greets on start. */
function agentHears(socket: TwilioSocket, data: unknown): void {
  const message = JSON.parse(typeof data === "string" ? data : new TextDecoder().decode(data as Uint8Array)) as {
    event: string;
    start?: { streamSid: string };
  };
  if (message.event !== "start") return;
  const streamSid = message.start!.streamSid;
  const pcm = utterance(CALL.greeting.seconds, [...CALL.greeting.markers], CALL.agentHz, CALL.agentMarkerHz);
  for (let i = 0; i < pcm.length; i += FRAME_SAMPLES) {
    socket.send(
      JSON.stringify({ event: "media", streamSid, media: { payload: payloadOf(pcm.subarray(i, i + FRAME_SAMPLES)) } }),
    );
    if ((i / FRAME_SAMPLES) % 5 === 4)
      socket.send(JSON.stringify({ event: "mark", streamSid, mark: { name: `greeting:${i}` } }));
  }
}

const ready = () => console.log("@@READY");

if (g.Deno) {
  const deno = g.Deno;
  deno.serve({ hostname: "127.0.0.1", port: config.port, onListen: ready }, (request) => {
    const { socket, response } = deno.upgradeWebSocket(request);
    observeTwilioStream(cekura, socket, { onError: report }); // <- the one line
    socket.addEventListener("message", (event) => agentHears(socket, event.data));
    return response;
  });
} else if (g.Bun) {
  g.Bun.serve({
    hostname: "127.0.0.1",
    port: config.port,
    fetch: (request, server) =>
      server.upgrade(request, { data: {} }) ? undefined : new Response("expected a WebSocket upgrade", { status: 426 }),
    websocket: {
      open(ws) {
        ws.data.observed = observeTwilioStream(cekura, ws, { onError: report }); // <- the one line
      },
      message(ws, message) {
        ws.data.observed?.handleMessage(message); // Bun hands socket events to these callbacks
        agentHears(ws, message);
      },
      close(ws) {
        ws.data.observed?.handleClose();
      },
    },
  });
  ready();
} else {
  throw new Error("run me with deno or bun");
}
