/**
 * CPU per request, Worker vs bare echo Worker: the workerd process's CPU time (from /proc) over a
 * closed-loop burst of N requests with C in flight. A quicker, steadier check of one lever than a whole
 * capacity run (the load generator's own CPU is not in the figure).
 *
 * Run: `npx tsx bench/cpu-per-request.ts [call|fragment|audio] [requests=2000] [inFlight=20] [rounds=3] [callSeconds=20]`.
 * `call` is what a capacity level at 5x pace sends: the call model (bench/lib/call-model.ts, 5 s audio
 * chunks) in sessions of `callSeconds` seconds of call, each a new session (first contact included).
 * `fragment` and `audio` send one kind only, in sessions of `callSeconds` requests.
 * BENCH_WORKER_VARS='{"AUDIO_PART_BYTES":"104857600"}' runs the Worker with other variables (to isolate one
 * cost); BENCH_NO_ECHO=1 skips the echo Worker; BENCH_FLOOR=1 also measures the storage floor (bench/floor-worker).
 *
 * Keep the sessions of one run (warm-up + rounds) under about 2,500: one local workerd process holding some
 * 3,000 SQLite-backed objects at once answers SQLITE_NOMEM (the storage floor Worker too; three open files
 * per object), a limit of the local runtime, not of a deployment, where each object lives on its own.
 */
import { BURST_KINDS, burst, type BurstOptions } from "./lib/call-burst.ts";
import {
  cpuSeconds,
  startEchoMiniflare,
  startFloorMiniflare,
  startWorkerMiniflare,
  type MiniflareWorker,
} from "./lib/miniflare-worker.ts";
import { median } from "./lib/stats.ts";

const options: BurstOptions = {
  kind: BURST_KINDS.find((k) => k === process.argv[2]) ?? "call",
  requests: Number(process.argv[3] ?? 2000),
  inFlight: Number(process.argv[4] ?? 20),
  callSeconds: Number(process.argv[6] ?? 20),
};
const rounds = Number(process.argv[5] ?? 3);

async function measure(target: MiniflareWorker, name: string): Promise<void> {
  await burst(target.url, `${name}-warm-${crypto.randomUUID().slice(0, 6)}`, options);
  const cpu: number[] = [];
  const rps: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const before = cpuSeconds(target.pid);
    const { ms, failed, sample } = await burst(
      target.url,
      `${name}-${round}-${crypto.randomUUID().slice(0, 6)}`,
      options,
    );
    if (failed > 0) {
      console.log(`  ${name}: ${failed} requests failed, e.g. ${sample}; workerd printed:`);
      console.log(target.output().slice(-2000));
    }
    cpu.push(((cpuSeconds(target.pid) - before) * 1000) / options.requests);
    rps.push((options.requests * 1000) / ms);
  }
  console.log(
    `${name.padEnd(6)} ${options.kind}: CPU per request ${median(cpu).toFixed(3)} ms (rounds ${cpu.map((c) => c.toFixed(3)).join(", ")}), ${median(rps).toFixed(0)} req/s`,
  );
}

const worker = await startWorkerMiniflare(JSON.parse(process.env.BENCH_WORKER_VARS ?? "{}") as Record<string, string>);
const echo = await startEchoMiniflare();
const floor = process.env.BENCH_FLOOR === "1" ? await startFloorMiniflare() : undefined;
try {
  await measure(worker, "worker");
  if (process.env.BENCH_NO_ECHO !== "1") await measure(echo, "echo");
  if (floor) await measure(floor, "floor");
} finally {
  await Promise.all([worker.stop(), echo.stop(), floor?.stop()]);
}
