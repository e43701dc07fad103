/**
 * A fault-injecting HTTP proxy on 127.0.0.1 between the SDK and the local Worker. A policy decides,
 * per request, to forward it, drop it (before or after the Worker saw it), delay it, duplicate it,
 * hold it back so the next one overtakes it (reorder), or answer by itself.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { gunzipSync } from "node:zlib";

export type FaultAction =
  | { kind: "forward" }
  /** Close the connection without forwarding: the Worker never sees it. */
  | { kind: "drop-request" }
  /** Forward, then close the connection without answering: the Worker saw it, the SDK cannot know. */
  | { kind: "drop-response" }
  | { kind: "delay"; ms: number }
  /** Forward twice; answer with the second answer. */
  | { kind: "duplicate" }
  /** Hold until the next request has been forwarded (or holdMs passed), then forward. */
  | { kind: "hold"; holdMs?: number }
  | { kind: "respond"; status: number; body?: unknown; headers?: Record<string, string> };

export interface ProxiedRequest {
  index: number;
  method: string;
  path: string;
  headers: Record<string, string>;
  /** The body as received (possibly gzip). */
  body: Buffer;
  action: FaultAction["kind"];
  receivedAt: number;
  /** Set once the proxy answered the SDK (never for a dropped request). */
  answeredAt?: number;
}

export type FaultPolicy = (request: ProxiedRequest) => FaultAction;

export interface FaultProxy {
  url: string;
  port: number;
  /** Every request that reached the proxy, in arrival order. */
  requests: ProxiedRequest[];
  policy: FaultPolicy;
  close(): Promise<void>;
}

/** The JSON a request carried (gunzipped when Content-Encoding: gzip). */
export function requestJson(request: ProxiedRequest): unknown {
  const raw = request.headers["content-encoding"] === "gzip" ? gunzipSync(request.body) : request.body;
  return JSON.parse(raw.toString("utf8"));
}

export async function startFaultProxy(target: string, policy: FaultPolicy, port = 0): Promise<FaultProxy> {
  const held: (() => void)[] = [];
  const releaseHeld = () => held.splice(0).forEach((release) => release());

  const forward = async (r: ProxiedRequest): Promise<{ status: number; headers: Headers; body: Buffer }> => {
    const headers = { ...r.headers };
    delete headers.host;
    delete headers.connection;
    delete headers["content-length"];
    const response = await fetch(`${target}${r.path}`, {
      method: r.method,
      headers,
      body: r.method === "GET" || r.method === "HEAD" ? undefined : new Uint8Array(r.body),
    });
    const body = Buffer.from(await response.arrayBuffer());
    releaseHeld();
    return { status: response.status, headers: response.headers, body };
  };

  const answer = (res: ServerResponse, status: number, headers: Headers | Record<string, string>, body: Buffer) => {
    const out: Record<string, string> = {};
    const entries = headers instanceof Headers ? [...headers.entries()] : Object.entries(headers);
    for (const [k, v] of entries)
      if (!["content-length", "content-encoding", "transfer-encoding", "connection"].includes(k)) out[k] = v;
    res.writeHead(status, { ...out, "content-length": String(body.byteLength) });
    res.end(body);
  };

  const proxy: FaultProxy = { url: "", port: 0, requests: [], policy, close: async () => undefined };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers[k] = v;
    const r: ProxiedRequest = {
      index: proxy.requests.length,
      method: req.method ?? "GET",
      path: req.url ?? "/",
      headers,
      body: Buffer.concat(chunks),
      action: "forward",
      receivedAt: Date.now(),
    };
    proxy.requests.push(r);
    const action = proxy.policy(r);
    r.action = action.kind;
    try {
      switch (action.kind) {
        case "drop-request":
          req.socket.destroy();
          return;
        case "drop-response":
          await forward(r);
          req.socket.destroy();
          return;
        case "delay":
          await new Promise((resolve) => setTimeout(resolve, action.ms));
          break;
        case "hold":
          await new Promise<void>((resolve) => {
            held.push(resolve);
            setTimeout(resolve, action.holdMs ?? 300);
          });
          break;
        case "duplicate":
          await forward(r);
          break;
        case "respond": {
          const body = Buffer.from(
            JSON.stringify(action.body ?? { error: "injected", detail: "injected by the fault proxy" }),
          );
          answer(res, action.status, { "content-type": "application/json", ...action.headers }, body);
          r.answeredAt = Date.now();
          return;
        }
        case "forward":
          break;
      }
      const upstream = await forward(r);
      answer(res, upstream.status, upstream.headers, upstream.body);
      r.answeredAt = Date.now();
    } catch (error) {
      if (!res.headersSent)
        answer(
          res,
          502,
          { "content-type": "application/json" },
          Buffer.from(JSON.stringify({ error: "proxy_error", detail: String(error) })),
        );
    }
  };

  const server: Server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  proxy.port = typeof address === "object" && address ? address.port : port;
  proxy.url = `http://127.0.0.1:${proxy.port}`;
  proxy.close = () =>
    new Promise<void>((resolve) => {
      releaseHeld();
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return proxy;
}

/** A small deterministic PRNG (mulberry32) so a fault sequence can be replayed from its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
