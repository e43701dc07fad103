import { createServer } from "node:net";

/**
 * Ports are drawn below Linux's ephemeral range (32768-60999), where the kernel hands out ports for
 * outgoing connections and `listen(0)`: a port found free there cannot be taken by some process's
 * connection in the moment between this check and the server that binds it (a CI run lost a
 * `wrangler dev` start to exactly that).
 */
const LOW = 20_000;
const HIGH = 32_000;

/** A free TCP port on 127.0.0.1 (so parallel test runs never collide). */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = LOW + Math.floor(Math.random() * (HIGH - LOW));
    if (await canListen(port)) return port;
  }
  return listenAnywhere();
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

function listenAnywhere(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** What a server prints when its port was taken after freePort() found it free. */
export function isAddressInUse(output: string): boolean {
  return /address already in use|EADDRINUSE/i.test(output);
}
