/**
 * `npm start`: the Worker on local workerd (Durable Objects and R2 persisted under .data/, so a second
 * start reuses the data), the Cekura stand-in it forwards to, and a demo call played through the SDK.
 * Prints the session id, its forward status and the inspector's URL. Ctrl-C stops everything.
 * Options: see start-options.ts (`--worker-only`, `--demo N`, `--fast`).
 */
import { join } from "node:path";
import { startCekuraStandIn, type CekuraStandIn } from "./cekura-standin.ts";
import { runDemoCall, type DemoCallResult } from "./demo-call.ts";
import { REPO_ROOT, startLocalWorker, type LocalWorker } from "./local-worker.ts";
import { parseStartOptions, type StartOptions } from "./start-options.ts";

let options: StartOptions;
try {
  options = parseStartOptions(process.argv.slice(2), process.env);
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(2);
}
const persistTo = process.env.CEKURA_DATA_DIR ?? join(REPO_ROOT, ".data");

let worker: LocalWorker | undefined;
let workerStarting: Promise<LocalWorker> | undefined;
let standIn: CekuraStandIn | undefined;
let stopping = false;
async function stop(code = 0): Promise<never> {
  if (!stopping) {
    stopping = true;
    console.log("\nstopping ...");
    // Ctrl-C while the Worker is still starting: wait for it, then stop it too.
    const running = worker ?? (await workerStarting?.catch(() => undefined));
    await Promise.allSettled([running?.stop(), standIn?.stop()]);
  }
  process.exit(code);
}
// Ctrl-C reaches this process twice (from the terminal's process group and relayed by tsx): the first
// one stops everything; a repeat within 2 s is that echo; a later one (a second Ctrl-C) forces the exit.
let firstSignalAt = 0;
function onSignal(): void {
  if (!stopping) {
    firstSignalAt = Date.now();
    void stop(0);
  } else if (Date.now() - firstSignalAt > 2000) {
    process.exit(130);
  }
}
process.on("SIGINT", onSignal);
process.on("SIGTERM", onSignal);

try {
  standIn = await startCekuraStandIn({ host: "127.0.0.1" });
  console.log(`Cekura stand-in: ${standIn.url}`);
  console.log(`starting the ingestion Worker on workerd (state in ${persistTo}) ...`);
  workerStarting = startLocalWorker({
    // 0: any free port.
    ...(options.port ? { port: options.port } : {}),
    persistTo,
    vars: { CEKURA_HOST: standIn.url, CEKURA_OTEL_ENDPOINT: `${standIn.url}/v1/traces` },
  });
  worker = await workerStarting;
} catch (error) {
  console.error(`could not start: ${error instanceof Error ? error.message : String(error)}`);
  await stop(1);
}
const url = worker!.url;
console.log(`\nWorker ready: ${url}`);
console.log(`  health:    ${url}/healthz`);
console.log(`  send:      POST ${url}/v1/sessions/<id>/fragments  (Authorization: Bearer <any key>)`);
console.log(`  SDK:       new CekuraTracer({ apiKey, agentId, ingestUrl: "${url}" })`);
console.log(`  inspector: ${url}/inspect  (sign in with your API key in the form)`);

if (!options.workerOnly) {
  const speedup = options.fast ? 20 : 1;
  console.log(
    `\nplaying ${options.demoCount === 1 ? "a demo call" : `${options.demoCount} demo calls at once`} through the SDK${options.fast ? " (fast)" : " in real time (about 75 s; --fast to speed up)"} ...`,
  );
  const started = performance.now();
  const runs = await Promise.allSettled(
    Array.from({ length: options.demoCount }, (_, i) =>
      runDemoCall({
        ingestUrl: url,
        apiKey: options.apiKey,
        speedup,
        metadata: options.demoCount > 1 ? { replay: i + 1 } : {},
        // With many replays, only the first one narrates.
        log: i === 0 ? (line) => console.log(options.demoCount > 1 ? `[1] ${line}` : line) : undefined,
      }),
    ),
  );
  const done = runs
    .filter((r): r is PromiseFulfilledResult<DemoCallResult> => r.status === "fulfilled")
    .map((r) => r.value);
  for (const r of runs)
    if (r.status === "rejected")
      console.error(`demo call failed: ${r.reason instanceof Error ? r.reason.message : String(r.reason)}`);
  // Forwarding runs from the session's alarm: give it a moment, then report what the Worker says.
  const statuses = await Promise.all(done.map((d) => forwardStatus(url, options.apiKey, d.sessionId)));
  console.log(
    `\n${done.length}/${options.demoCount} demo call(s) recorded in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  done
    .slice(0, 10)
    .forEach((d, i) =>
      console.log(
        `  session ${d.sessionId}: ${statuses[i]!.state}, forward ${statuses[i]!.forward}, ${d.audioSeconds.toFixed(1)} s audio`,
      ),
    );
  if (done.length > 10) console.log(`  ... and ${done.length - 10} more`);
  if (standIn)
    console.log(
      `  the Cekura stand-in received ${standIn.calls().length} call(s) and ${standIn.traces().length} trace batch(es)`,
    );
  const first = done[0];
  // The key goes into the login form, never into a URL (URLs end up in logs and browser history).
  console.log(`\nOpen the inspector and sign in with the API key "${options.apiKey}":`);
  console.log(`  ${url}/inspect`);
  if (first) console.log(`  ${url}/inspect/${encodeURIComponent(first.sessionId)}`);
}
console.log("\nCtrl-C to stop.");

async function forwardStatus(
  base: string,
  apiKey: string,
  sessionId: string,
): Promise<{ state: string; forward: string }> {
  let last = { state: "unknown", forward: "unknown" };
  for (let i = 0; i < 30; i++) {
    try {
      const response = await fetch(`${base}/v1/sessions/${encodeURIComponent(sessionId)}`, {
        headers: { authorization: `Bearer ${apiKey}` },
      });
      const body = (await response.json()) as { state?: string; forward?: { status?: string } };
      last = { state: body.state ?? "unknown", forward: body.forward?.status ?? "unknown" };
      if (last.forward !== "pending" && last.state !== "closing") return last;
    } catch {
      // the Worker is busy; try again
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return last;
}
