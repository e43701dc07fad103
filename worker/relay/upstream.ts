/**
 * Opens the relay's upstream WebSocket (the deployment's RELAY_OPENAI_URL, never a client's choice),
 * carrying only the client's OpenAI credentials and protocol headers. Nothing of the call is logged.
 */
import { HttpError } from "../errors.ts";

/** Client headers passed upstream as they are; X-Cekura-* and everything else stay at the edge. */
const PASSED_HEADERS = [
  "authorization",
  "openai-beta",
  "openai-organization",
  "openai-project",
  "sec-websocket-protocol",
  "user-agent",
] as const;

export interface Upstream {
  /** The accepted upstream socket, or undefined when the upstream answered without upgrading. */
  socket: WebSocket | undefined;
  /** The upstream's answer: 101 with the socket, or its refusal (status, headers, body) to pass back. */
  response: Response;
}

/** The upstream URL for a client request: fixed base, the client's query (`?model=...`) appended. */
export function upstreamUrl(base: string, clientUrl: URL): string {
  const url = new URL(base);
  url.search = clientUrl.search;
  // fetch() opens WebSockets over http(s) URLs.
  if (url.protocol === "wss:") url.protocol = "https:";
  else if (url.protocol === "ws:") url.protocol = "http:";
  return url.toString();
}

/**
 * Connects upstream. An upstream that cannot be reached is a 502 `upstream_unreachable`; one that does not
 * answer the handshake within `timeoutMs` is a 504 `upstream_timeout` (its connection is abandoned). The
 * error's message is not passed on: it could name the deployment's upstream host.
 */
export async function connectUpstream(url: string, client: Headers, timeoutMs: number): Promise<Upstream> {
  const headers = new Headers({ Upgrade: "websocket" });
  for (const name of PASSED_HEADERS) {
    const value = client.get(name);
    if (value !== null) headers.set(name, value);
  }
  const signal = AbortSignal.timeout(timeoutMs);
  let response: Response;
  try {
    response = await fetch(url, { headers, signal });
  } catch (error) {
    if (signal.aborted)
      throw new HttpError(504, "upstream_timeout", `the upstream did not answer the handshake within ${timeoutMs} ms`);
    console.warn(`relay upstream unreachable: ${String((error as { name?: unknown })?.name ?? "Error")}`);
    throw new HttpError(502, "upstream_unreachable", "the upstream could not be reached; nothing was sent");
  }
  const socket = response.webSocket ?? undefined;
  if (socket) socket.accept();
  return { socket, response };
}
