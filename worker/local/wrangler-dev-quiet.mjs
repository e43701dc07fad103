// `wrangler dev --local` without the DevTools inspector, for tests and benches.
//
// The wrangler CLI always starts the inspector, and its inspector proxy turns every 4 KiB read of
// every fetch body into a debug-log POST to wrangler's own Node process: forwarding one 12 MiB WAV
// makes thousands of them. On a loaded machine that flood makes wrangler's proxy reset unrelated
// client connections (a status GET answered with ECONNRESET after 5-19 s). Nothing here needs
// DevTools; the Worker's console output still arrives on stdout through workerd's structured logs.
//
// Usage: node wrangler-dev-quiet.mjs '<json options>' (see startQuiet in local-worker.ts).
import { createServer } from "node:net";
import { unstable_startWorker } from "wrangler";

const options = JSON.parse(process.argv[2] ?? "{}");

// Through the API, workerd failing to bind the port is only a debug log line and `ready` never settles:
// find a taken port first, and give up on a start that never gets ready, saying so (local-worker.ts
// retries on "address already in use").
await new Promise((resolve) => {
  const probe = createServer();
  probe.once("error", (error) => {
    console.error(
      `${error.code === "EADDRINUSE" ? "Address already in use" : error.message}: 127.0.0.1:${options.port}`,
    );
    process.exit(1);
  });
  probe.listen(options.port, "127.0.0.1", () => probe.close(resolve));
});
const notReady = setTimeout(() => {
  console.error(`the Worker was not ready within 60 s on 127.0.0.1:${options.port} (address already in use?)`);
  process.exit(1);
}, 60_000);
const worker = await unstable_startWorker({
  config: options.config,
  bindings: Object.fromEntries(
    Object.entries(options.vars ?? {}).map(([name, value]) => [name, { type: "plain_text", value }]),
  ),
  dev: {
    remote: false,
    inspector: false,
    watch: false,
    persist: options.persistTo,
    logLevel: options.logLevel,
    server: { hostname: "127.0.0.1", port: options.port },
  },
});
await worker.ready;
clearTimeout(notReady);
console.log(`Ready on ${(await worker.url).href}`);

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    worker.dispose().finally(() => process.exit(0));
  });
}
