/**
 * The local Worker on a port something else holds: `startLocalWorker` must fail fast, naming the taken
 * address (so a caller that picked the port itself can retry on another), not wait for a Worker that
 * never gets ready.
 */
import { createServer, type Server, type Socket } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startLocalWorker } from "../../worker/local/local-worker.ts";
import { freePort } from "../../worker/local/ports.ts";

let squatter: Server;
let port: number;
const held = new Set<Socket>();
beforeAll(async () => {
  port = await freePort();
  squatter = createServer((socket) => held.add(socket)); // accepts, never answers
  await new Promise<void>((resolve) => squatter.listen(port, "127.0.0.1", resolve));
});
afterAll(async () => {
  for (const socket of held) socket.destroy();
  await new Promise<void>((resolve) => squatter.close(() => resolve()));
});

it("refuses a taken port within seconds, saying the address is in use", async () => {
  const started = Date.now();
  await expect(startLocalWorker({ port, readyTimeoutMs: 30_000 })).rejects.toThrow(/address already in use/i);
  expect(Date.now() - started).toBeLessThan(20_000);
}, 40_000);
