/**
 * `GET /v1/relay/openai/realtime?model=...`: a recording relay for OpenAI Realtime (worker/relay/).
 * The client connects here instead of to OpenAI and adds X-Cekura-* headers; every frame is relayed
 * unchanged both ways while the call is recorded as an SDK session would record it.
 */
import { Hono, type ExecutionContext as HonoExecutionContext } from "hono";
import type { AppEnv } from "../app-env.ts";
import { configOf } from "../config.ts";
import { HttpError } from "../errors.ts";
import { relayIdentity } from "../relay/identity.ts";
import { pipe } from "../relay/pipe.ts";
import { RelayRecording, type Dispatch } from "../relay/recording.ts";
import { connectUpstream, upstreamUrl } from "../relay/upstream.ts";

/** In-process dispatch to this Worker's own app: (request, env, ctx) -> response. */
export type AppFetch = (request: Request, env: AppEnv["Bindings"], ctx: HonoExecutionContext) => Promise<Response>;

export function createRelayRoutes(appFetch: AppFetch) {
  const routes = new Hono<AppEnv>();
  routes.get("/openai/realtime", async function openaiRealtimeRelay(c) {
    if (c.req.header("upgrade")?.toLowerCase() !== "websocket")
      throw new HttpError(426, "invalid_headers", "this route is a WebSocket: send `Upgrade: websocket`");
    const url = new URL(c.req.url);
    // Refused before anything goes upstream.
    const identity = await relayIdentity(c.env, c.req.raw.headers, url);

    const config = configOf(c.env);
    const upstream = await connectUpstream(
      upstreamUrl(config.relayOpenAiUrl, url),
      c.req.raw.headers,
      config.relayConnectTimeoutMs,
    );
    if (!upstream.socket) {
      // The upstream refused the handshake: the client gets its answer as it was.
      return new Response(upstream.response.body, {
        status: upstream.response.status === 101 ? 502 : upstream.response.status,
        headers: upstream.response.headers,
      });
    }

    const ctx = c.executionCtx;
    const env = c.env;
    const dispatch: Dispatch = (request) => appFetch(request, env, ctx);
    const recording = new RelayRecording(identity, dispatch);
    const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
    server.accept();
    ctx.waitUntil(
      pipe(server, upstream.socket, recording).then((end) =>
        recording.close(end.by === "client" ? "customer-ended-call" : "assistant-ended-call"),
      ),
    );

    const headers = new Headers({ "X-Cekura-Session-Id": identity.sessionId });
    const protocol = upstream.response.headers.get("sec-websocket-protocol");
    if (protocol) headers.set("Sec-WebSocket-Protocol", protocol);
    return new Response(null, { status: 101, webSocket: client, headers });
  });
  return routes;
}
