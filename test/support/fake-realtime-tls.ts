/**
 * A TLS front on 127.0.0.1 for a plain local port, with a fresh self-signed certificate: for clients that
 * only speak wss:// (the `openai` package's realtime client always does). Bytes are piped unchanged.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer } from "node:tls";

export interface TlsFront {
  /** https://127.0.0.1:<port> */
  url: string;
  stop(): Promise<void>;
}

export async function startTlsFront(targetPort: number): Promise<TlsFront> {
  const dir = mkdtempSync(join(tmpdir(), "relay-tls-"));
  const key = join(dir, "key.pem"),
    cert = join(dir, "cert.pem");
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      key,
      "-out",
      cert,
      "-days",
      "1",
      "-subj",
      "/CN=127.0.0.1",
    ],
    { stdio: "ignore" },
  );
  const sockets = new Set<Socket>();
  const server = createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (client) => {
    const target = connect(targetPort, "127.0.0.1");
    // No Nagle on either leg: a small frame written while an earlier one awaits its (delayed) ACK would
    // otherwise wait ~40-60 ms, a constant skew between what the relay saw and what the client heard.
    client.setNoDelay(true);
    target.setNoDelay(true);
    sockets.add(client).add(target);
    client.pipe(target).pipe(client);
    const done = () => (client.destroy(), target.destroy());
    client.on("error", done).on("close", done);
    target.on("error", done).on("close", done);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const { port } = server.address() as { port: number };
  return {
    url: `https://127.0.0.1:${port}`,
    stop: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
