import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface SeenRequest {
  contentType: string;
  contentEncoding: string;
}

/** A pass-through proxy on 127.0.0.1 that records each request's Content-Type and Content-Encoding. */
export async function recordingProxy(target: string): Promise<{ url: string; seen: SeenRequest[]; server: Server }> {
  const seen: SeenRequest[] = [];
  const upstream = new URL(target);
  const server = createServer((req, res) => {
    seen.push({
      contentType: String(req.headers["content-type"] ?? ""),
      contentEncoding: String(req.headers["content-encoding"] ?? "identity"),
    });
    const out = httpRequest(
      { host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    req.pipe(out);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server };
}
