/**
 * `npm run bench`: every benchmark in one run (target: under 10 minutes on 2 cores),
 * each figure beside its baseline measured in the same run. Prints a table and writes
 * bench/results/latest.json.
 *
 * `--quick`: fewer levels, shorter levels and calls, Node only (about 2 minutes).
 * Knobs (env): BENCH_LEVELS=200,400,800,1000,1200,1600,2000,2400,2800,3200,3600 (real time)  BENCH_SATURATION_LEVELS=200,400,800 (x5)  BENCH_LEVEL_SECONDS=8  BENCH_CHUNK_SECONDS=5 (audio per request)
 * BENCH_COST_CALLS=3  BENCH_COST_MINUTES=5 (real-time pace; 5x pace runs half
 * as long)  BENCH_CAPACITY_UNTIL=420 (no capacity level starts later)  BENCH_BUDGET_SECONDS=600 (finalization gives up after)  BENCH_FINAL_CALLS=3  BENCH_FINAL_MINUTES=10  BENCH_HOT_RUNS=3  BENCH_RUNTIMES=node,deno,bun
 */
import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { REPO_ROOT } from "../worker/local/local-worker.ts";
import { held as heldLevel, runCapacity, type LevelResult } from "./capacity.ts";
import { describeCost, runCost, SCENARIOS, type CostResult } from "./cost.ts";
import { PRICES_CHECKED, REFERENCE } from "./cost/prices.ts";
import { runFinalization, type FinalizationSummary } from "./finalization.ts";
import { AUDIO_CHUNK_SECONDS, STEREO_PCM_BYTES_PER_SECOND } from "./lib/call-model.ts";
import { ratio, round } from "./lib/stats.ts";
import { renderTable, type Row } from "./lib/table.ts";
import { runSdkSize, sdkSizeRows } from "./sdk-size.ts";
import { loopBlockRows, runLoopBlock } from "./sdk-loop-block.ts";
import { redactionCostRows, runRedactionCost } from "./redaction-cost.ts";
import { snapshotWorker } from "./lib/wrangler-dev.ts";
import { runWire, type WireResult } from "./wire.ts";

const env = process.env;
const QUICK = process.argv.includes("--quick");
const LEVELS = (env.BENCH_LEVELS ?? (QUICK ? "50,200,400" : "200,400,800,1000,1200,1600,2000,2400,2800,3200,3600"))
  .split(",")
  .map(Number);
/** x5 pace: past the echo's saturation a level only queues more. */
const SATURATION_LEVELS = (env.BENCH_SATURATION_LEVELS ?? (QUICK ? "200,400" : "200,400,800")).split(",").map(Number);
const LEVEL_SECONDS = Number(env.BENCH_LEVEL_SECONDS ?? (QUICK ? 5 : 8));
const CHUNK_SECONDS = Number(env.BENCH_CHUNK_SECONDS ?? AUDIO_CHUNK_SECONDS);
const CAPACITY_UNTIL_MS = Number(env.BENCH_CAPACITY_UNTIL ?? 420) * 1000;
const BUDGET_MS = Number(env.BENCH_BUDGET_SECONDS ?? 600) * 1000;
const FINAL_CALLS = Number(env.BENCH_FINAL_CALLS ?? (QUICK ? 1 : 3));
const FINAL_MINUTES = Number(env.BENCH_FINAL_MINUTES ?? (QUICK ? 2 : 10));
const COST_CALLS = Number(env.BENCH_COST_CALLS ?? (QUICK ? 2 : 3));
const COST_MINUTES = Number(env.BENCH_COST_MINUTES ?? (QUICK ? 2 : 5));
const RUNTIMES = (env.BENCH_RUNTIMES ?? (QUICK ? "node" : "node,deno,bun")).split(",");
const CHILD_ENV = {
  ...env,
  WRANGLER_SEND_METRICS: "false",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  DENO_NO_UPDATE_CHECK: "1",
  NO_COLOR: "1",
};

const t0 = performance.now();
const elapsed = () => `${((performance.now() - t0) / 1000).toFixed(0)} s`;
const log = (line: string) => console.log(line);
const bin = (name: string) => join(REPO_ROOT, "node_modules/.bin", name);

/** Runs a child process and returns the JSON of its `BENCH_JSON` line. */
function runJson<T>(command: string, args: string[], timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: REPO_ROOT, env: CHILD_ENV, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("exit", (code) => {
      clearTimeout(timer);
      const line = out.split("\n").find((l) => l.startsWith("BENCH_JSON "));
      if (line) resolve(JSON.parse(line.slice("BENCH_JSON ".length)) as T);
      else
        reject(new Error(`${command} ${args.join(" ")} exited ${code} without a result:\n${(out + err).slice(-2000)}`));
    });
  });
}

interface HotKind {
  medianUs: number;
  p99Us: number;
  allInUs: number;
  baselineMedianUs: number;
  baselineP99Us: number;
}
interface HotResult {
  runtime: string;
  version: string;
  runs: number;
  callsPerRun: number;
  audioRequestsSeen: number;
  kinds: Record<"transcript" | "toolCall" | "log" | "audioFrame", HotKind>;
  otelSpan: { medianUs: number; p99Us: number } | null;
}
interface MemoryResult {
  sessions: number;
  eventsPerMinute: number;
  bytesPerIdleSession: number;
  bytesPerSessionWithMinuteQueued: number;
  baselineBytesPerMinuteOfEvents: number;
}

const rows: Row[] = [];
const raw: Record<string, unknown> = {};
const failures: string[] = [];
const load: Record<string, number[]> = { start: loadavg() };

async function section<T>(name: string, work: () => Promise<T>): Promise<T | undefined> {
  log(
    `[${elapsed()}] ${name} (load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(" ")})`,
  );
  try {
    const result = await work();
    raw[name] = result;
    return result;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    failures.push(`${name}: ${message.slice(0, 500)}`);
    log(`  FAILED: ${message.slice(0, 500)}`);
    return undefined;
  }
}

// 1. SDK hot path, per runtime.
const hot: HotResult[] = [];
for (const runtime of RUNTIMES) {
  const command = runtime === "node" ? bin("tsx") : bin(runtime);
  const args = runtime === "deno" ? ["run", "-A", "bench/hot-path.ts"] : ["bench/hot-path.ts"];
  const r = await section(`hot path ${runtime}`, () => runJson<HotResult>(command, args, 150_000));
  if (r) hot.push(r);
}
for (const h of hot) {
  for (const kind of ["transcript", "toolCall", "log", "audioFrame"] as const) {
    const k = h.kinds[kind];
    const label = kind === "audioFrame" ? "audio 20 ms frame" : kind;
    const eventTarget = kind !== "audioFrame";
    const row = (figure: string, value: number, baseline: number, extra: Partial<Row>): Row => ({
      section: `hot path ${h.runtime}`,
      figure: `${label} ${figure}`,
      value,
      unit: "us",
      baseline: { label: "array push", value: baseline },
      ratio: ratio(value, baseline),
      ...extra,
    });
    rows.push(
      row("median", k.medianUs, k.baselineMedianUs, {
        ...(eventTarget ? { target: "<= 1 us", met: k.medianUs <= 1 } : {}),
        ...(eventTarget && k.medianUs > 1
          ? { note: `missed by ${round(k.medianUs - 1)} us (${round(k.medianUs)}x the target)` }
          : {}),
      }),
      row("p99", k.p99Us, k.baselineP99Us, { note: "p99 of 10-call batches; includes GC pauses" }),
      row("all-in CPU", k.allInUs, k.baselineMedianUs, {
        note: "process CPU incl. background serialise/gzip/send, per call",
      }),
    );
  }
  // Audio: 50 frames per channel per second = 100 calls per second of call.
  const audioCore = ((h.kinds.audioFrame.allInUs * 100) / 1e6) * 100;
  const pushCore = ((h.kinds.audioFrame.baselineMedianUs * 100) / 1e6) * 100;
  rows.push({
    section: `hot path ${h.runtime}`,
    figure: "audio CPU per call (2 x 50 frames/s)",
    value: audioCore,
    unit: "% of a core",
    baseline: { label: "array push", value: pushCore },
    ratio: ratio(audioCore, pushCore),
    target: "<= 0.5%",
    met: audioCore <= 0.5,
    note:
      h.audioRequestsSeen > 0
        ? `incl. resample/interleave/upload (${h.audioRequestsSeen} audio PUTs seen)`
        : "NO audio sent: audio addon not active in this build",
    ...(audioCore > 0.5 ? { note: `missed by ${round(audioCore - 0.5)} points` } : {}),
  });
  if (h.otelSpan) {
    rows.push({
      section: `hot path ${h.runtime}`,
      figure: "transcript vs an OTel SDK span",
      value: h.kinds.transcript.medianUs,
      unit: "us",
      baseline: { label: "OTel span start+end", value: h.otelSpan.medianUs },
      ratio: ratio(h.kinds.transcript.medianUs, h.otelSpan.medianUs),
      note: `OTel span p99 ${round(h.otelSpan.p99Us)} us (sdk-trace-base, SimpleSpanProcessor, in-memory exporter)`,
    });
  }
}

// 1b. The SDK package: Worker bundle sizes against their budgets, import time per runtime.
const sdkSize = await section("sdk package", () => runSdkSize(RUNTIMES));
if (sdkSize) rows.push(...sdkSizeRows(sdkSize));
// 1c. The longest event-loop block the SDK causes (construction, first call, steady state) per runtime.
const loopBlock = await section("sdk event loop", async () => runLoopBlock(RUNTIMES as ("node" | "deno" | "bun")[]));
if (loopBlock) rows.push(...loopBlockRows(loopBlock));
// 1d. Redaction CPU per KB of fragment (every detector on) beside the same fragment unredacted.
const redactionCost = await section("redaction", async () => runRedactionCost());
if (redactionCost) rows.push(...redactionCostRows(redactionCost));
// 1e. Call-audio marker error under jitter and a stall per runtime, beside the old placement rule (about 20 s each).
const placementBench = await import("./audio-placement.ts");
const placement = await section("audio placement", async () =>
  placementBench.runAudioPlacement(RUNTIMES as ("node" | "deno" | "bun")[]),
);
if (placement) rows.push(...placementBench.audioPlacementRows(placement));

// 2. Wire.
const wire = await section("wire", async () => ({ gzip: await runWire(120, true), plain: await runWire(120, false) }));
if (wire) {
  const w: WireResult = wire.gzip;
  rows.push({
    section: "wire",
    figure: "SDK bytes/s of call (events + audio)",
    value: w.sdkBytesPerSecond,
    unit: "B/s",
    baseline: { label: "raw stereo PCM", value: STEREO_PCM_BYTES_PER_SECOND },
    ratio: ratio(w.sdkBytesPerSecond, STEREO_PCM_BYTES_PER_SECOND),
    note: w.audioSent
      ? `${w.audioRequests} audio PUTs in ${w.callSeconds} s, bodies only`
      : "no audio sent (addon inactive)",
  });
  rows.push({
    section: "wire",
    figure: "event bytes/s, gzip on",
    value: w.eventBodyBytesPerSecond,
    unit: "B/s",
    baseline: { label: "events JSON", value: w.eventsJsonBytesPerSecond },
    ratio: ratio(w.eventBodyBytesPerSecond, w.eventsJsonBytesPerSecond),
    note: `${w.fragmentRequests} fragments in ${w.callSeconds} s (gzip only when >= 1 KiB and >= 10% smaller)`,
  });
  rows.push({
    section: "wire",
    figure: "event bytes/s, gzip off",
    value: wire.plain.eventBodyBytesPerSecond,
    unit: "B/s",
    baseline: { label: "events JSON", value: wire.plain.eventsJsonBytesPerSecond },
    ratio: ratio(wire.plain.eventBodyBytesPerSecond, wire.plain.eventsJsonBytesPerSecond),
  });
}

// 3. Memory (Node, --expose-gc).
const memory = await section("memory", () =>
  runJson<MemoryResult>(process.execPath, ["--expose-gc", "--import", "tsx", "bench/memory.ts"], 120_000),
);
if (memory) {
  rows.push({
    section: "memory",
    figure: "SDK heap per active session (idle, delivered)",
    value: memory.bytesPerIdleSession,
    unit: "B",
    baseline: { label: "1 min of events in an array", value: memory.baselineBytesPerMinuteOfEvents },
    ratio: ratio(memory.bytesPerIdleSession, memory.baselineBytesPerMinuteOfEvents),
    note: `${memory.sessions} sessions, Node heapUsed after gc`,
  });
  rows.push({
    section: "memory",
    figure: "SDK heap per session, 1 min queued",
    value: memory.bytesPerSessionWithMinuteQueued,
    unit: "B",
    baseline: { label: "1 min of events in an array", value: memory.baselineBytesPerMinuteOfEvents },
    ratio: ratio(memory.bytesPerSessionWithMinuteQueued, memory.baselineBytesPerMinuteOfEvents),
    note: `${memory.eventsPerMinute} events/min`,
  });
}

// The OpenAI Realtime recording relay (bench/relay.ts): added latency vs a direct connection, CPU, cost.
interface RelayBench {
  directRttMs: { p50: number; p99: number };
  relayedRttMs: { p50: number; p99: number };
  addedPerMessageMs: { p50: number; p99: number };
  cpuMsPerCallMinute: number;
  cpuUsdPer1000CallMinutes: number;
}
const relay = await section("relay", () =>
  runJson<RelayBench>(process.execPath, ["--import", "tsx", "bench/relay.ts", QUICK ? "400" : "1000", "1"], 240_000),
);
if (relay) {
  for (const p of ["p50", "p99"] as const)
    rows.push({
      section: "relay",
      figure: `added latency per relayed message, ${p}`,
      value: relay.addedPerMessageMs[p],
      unit: "ms",
      baseline: { label: `direct round trip ${p}`, value: relay.directRttMs[p] },
      ...(p === "p99" ? { target: "<= 2 ms", met: relay.addedPerMessageMs.p99 <= 2 } : {}),
      note: `relayed round trip ${relay.relayedRttMs[p]} ms; half the added round trip`,
    });
  rows.push({
    section: "relay",
    figure: "Worker CPU per relayed call-minute",
    value: relay.cpuMsPerCallMinute,
    unit: "ms",
    note: `relay + recording + session DO; $${relay.cpuUsdPer1000CallMinutes} CPU per 1,000 call-minutes`,
  });
}

// 4. The Worker bundled once: edits to worker/ by others mid-run do not reload it.
const workerConfig = await section("bundle worker", () => snapshotWorker());

// 5. Cost per call-minute, counted on the real code paths (bench/worker/counting-entry.ts).
const COST_TARGET_USD = 0.1;
const cost = await section("cost", () =>
  runCost({ scenarios: SCENARIOS, calls: COST_CALLS, callSeconds: COST_MINUTES * 60, log }),
);
if (cost) {
  for (const c of cost as CostResult[]) {
    const p = c.perCallMinute;
    const name = c.scenario.name;
    const judged =
      c.scenario.mode === "observe" &&
      c.scenario.audio &&
      c.scenario.chunkSeconds === AUDIO_CHUNK_SECONDS &&
      c.scenario.flushSeconds === undefined &&
      !c.scenario.realTime &&
      !c.scenario.withoutConsent; // the target is the delivered call's; a discarded one is shown beside it
    const counted = (figure: string, value: number, unit: string, note?: string) =>
      rows.push({ section: `cost: ${name}`, figure, value, unit, ...(note ? { note } : {}) });
    counted("Worker requests per call-minute", p.workerRequests, "");
    counted("DO requests per call-minute", p.doRequests, "", "RPC calls + alarms");
    counted(
      "SQLite rows written per call-minute",
      p.rowsWritten,
      "",
      `incl. setAlarm(); top: ${Object.entries(c.rowsWrittenBySql)
        .sort((a, b) => b[1] - a[1])
        .slice(0, 4)
        .map(([k, v]) => `${k} ${round(v / ((c.calls * c.callSeconds) / 60))}`)
        .join("; ")}`,
    );
    counted("SQLite rows read per call-minute", p.rowsRead, "");
    counted("R2 class A / B ops per call-minute", p.r2ClassA, "A", `class B ${round(p.r2ClassB)}`);
    counted(
      "DO bytes while the call is open",
      p.doBytesOpen,
      "B per call-minute",
      `kept after delivery: ${round(p.doBytesAfter)} B per call-minute`,
    );
    counted("R2 bytes after the call", p.r2Bytes, "B per call-minute");
    rows.push({
      section: `cost: ${name}`,
      figure: "$ per 1,000 call-minutes (storage excluded)",
      value: c.usdPerThousand,
      unit: "USD",
      baseline: { label: REFERENCE.label, value: REFERENCE.usdPerThousandMinutes },
      ratio: ratio(c.usdPerThousand, REFERENCE.usdPerThousandMinutes),
      ...(judged ? { target: `<= $${COST_TARGET_USD}`, met: c.usdPerThousand <= COST_TARGET_USD } : {}),
      note: `${c.lines.map((l) => `${l.item} ${round(l.usdPerThousandCallMinutes)}`).join(", ")} (CPU: whole local workerd, an upper bound); prices of ${PRICES_CHECKED}${judged && c.usdPerThousand > COST_TARGET_USD ? `; missed by $${round(c.usdPerThousand - COST_TARGET_USD)}` : ""}`,
    });
    const storage = c.storageUsdPerThousandPerMonth.r2 + c.storageUsdPerThousandPerMonth.durableObjects;
    rows.push({
      section: `cost: ${name}`,
      figure: "$ per month to keep 1,000 call-minutes",
      value: storage,
      unit: "USD",
      baseline: { label: `${REFERENCE.label} storage`, value: REFERENCE.storageUsdPerThousandMinuteMonths },
      ratio: ratio(storage, REFERENCE.storageUsdPerThousandMinuteMonths),
      note: `R2 ${round(c.storageUsdPerThousandPerMonth.r2)}, DO ${round(c.storageUsdPerThousandPerMonth.durableObjects)}`,
    });
  }
}

// 6. Worker capacity vs the bare echo Worker; no level starts after BENCH_CAPACITY_UNTIL seconds.
const CAPACITY_PACES = [
  { pace: 1, seconds: LEVEL_SECONDS, levels: LEVELS },
  { pace: 5, seconds: Math.max(2, LEVEL_SECONDS / 2), levels: SATURATION_LEVELS },
];
const capacity = await section("worker capacity", () =>
  runCapacity({
    paces: CAPACITY_PACES,
    audio: true,
    chunkSeconds: CHUNK_SECONDS,
    log,
    workerConfig,
    deadline: t0 + CAPACITY_UNTIL_MS,
    fragmentsOnlyLevels: [LEVELS[0] ?? 50],
  }),
);
if (capacity) {
  const find = (t: LevelResult["target"], s: number, p: number) =>
    capacity.find((r) => r.target === t && r.sessions === s && r.pace === p && r.audio);
  for (const w of capacity.filter((r) => r.target === "worker" && !r.audio)) {
    const e = capacity.find((r) => r.target === "echo" && !r.audio && r.sessions === w.sessions);
    if (!e) continue;
    rows.push({
      section: "capacity",
      figure: `${w.sessions} sessions x1, fragments only: acks/s`,
      value: w.acksPerSecond,
      unit: "/s",
      baseline: { label: "echo Worker", value: e.acksPerSecond },
      ratio: ratio(w.acksPerSecond, e.acksPerSecond),
      note: `no audio; offered ${round(w.offeredPerSecond)}/s; p50 ${round(w.steadyP50Ms)} / p99 ${round(w.steadyP99Ms)} ms (echo ${round(e.steadyP50Ms)} / ${round(e.steadyP99Ms)}); errors ${w.errors}`,
    });
  }
  const held: Record<LevelResult["target"], number> = { worker: 0, echo: 0, floor: 0 };
  for (const { pace: p, levels } of CAPACITY_PACES) {
    for (const s of levels) {
      const w = find("worker", s, p);
      const e = find("echo", s, p);
      const f = find("floor", s, p);
      if (e && !w) {
        rows.push({
          section: "capacity",
          figure: `${s} sessions x${p} pace: echo only`,
          value: e.acksPerSecond,
          unit: "/s",
          note: `the Worker was not run: it did not hold a lower level; echo p99 ${round(e.steadyP99Ms)} ms, held: ${heldLevel(e) ? "yes" : "no"}${f ? `; floor p99 ${round(f.steadyP99Ms)} ms, held: ${heldLevel(f) ? "yes" : "no"}` : ""}`,
        });
      }
      if (!w || !e) continue;
      rows.push({
        section: "capacity",
        figure: `${s} sessions x${p} pace: acks/s`,
        value: w.acksPerSecond,
        unit: "/s",
        baseline: { label: "echo Worker", value: e.acksPerSecond },
        ratio: ratio(w.acksPerSecond, e.acksPerSecond),
        note: `offered ${round(w.offeredPerSecond)}/s; CPU/ack ${round(w.cpuMsPerAck ?? Number.NaN)} ms (echo ${round(e.cpuMsPerAck ?? Number.NaN)}${f ? `, floor ${round(f.cpuMsPerAck ?? Number.NaN)}` : ""})${f ? `; floor ${round(f.acksPerSecond)} acks/s` : ""}; errors ${w.errors} (echo ${e.errors})${w.errorSamples[0] ? `: ${w.errorSamples[0].slice(0, 80)}` : ""}`,
      });
      rows.push({
        section: "capacity",
        figure: `${s} sessions x${p} pace: ack p50 / p99`,
        value: w.steadyP99Ms,
        unit: "ms p99",
        baseline: { label: "echo p99", value: e.steadyP99Ms },
        ratio: ratio(w.steadyP99Ms, e.steadyP99Ms),
        note: `p50 ${round(w.steadyP50Ms)} ms (echo ${round(e.steadyP50Ms)} ms${f ? `, floor ${round(f.steadyP50Ms)}` : ""}); p99 floor ${f ? round(f.steadyP99Ms) : "-"} ms; while the calls joined p99 ${round(w.p99Ms)} ms (echo ${round(e.p99Ms)} ms)${p === 1 ? `; held: Worker ${heldLevel(w) ? "yes" : "no"}, echo ${heldLevel(e) ? "yes" : "no"}${f ? `, floor ${heldLevel(f) ? "yes" : "no"}` : ""}` : ""}`,
      });
    }
  }
  for (const r of capacity) {
    if (r.pace !== 1 || !r.audio || !heldLevel(r)) continue;
    held[r.target] = Math.max(held[r.target], r.sessions);
  }
  const heldRatio = ratio(held.worker, held.echo);
  // A ratio to the echo Worker's figure says something only where the echo Worker reached its own limit.
  const echoLimited = capacity.some((r) => r.target === "echo" && r.pace === 1 && r.audio && !heldLevel(r));
  const echoSaturated = capacity.some(
    (r) => r.target === "echo" && r.pace > 1 && r.audio && r.acksPerSecond < 0.95 * r.offeredPerSecond,
  );
  rows.push({
    section: "capacity",
    figure: "real-time calls held (p99 < 100 ms once joined, no errors, acks >= 95% offered)",
    value: held.worker,
    unit: "calls",
    baseline: { label: "echo Worker holds", value: held.echo },
    ratio: heldRatio,
    ...(echoLimited ? { target: ">= 0.8x echo", met: heldRatio >= 0.8 } : {}),
    note: `levels tried: ${LEVELS.join(", ")}${echoLimited ? "" : " (not judged: the echo Worker held every level tried)"}; the storage floor held ${held.floor} (${round(ratio(held.floor, held.echo))}x echo); ${CHUNK_SECONDS} s audio chunks${echoLimited && heldRatio < 0.8 ? `; missed by ${round(0.8 * held.echo - held.worker)} calls` : ""}`,
  });
  const peak = (t: LevelResult["target"]) =>
    Math.max(0, ...capacity.filter((r) => r.target === t && r.audio).map((r) => r.acksPerSecond));
  const saturation = ratio(peak("worker"), peak("echo"));
  rows.push({
    section: "capacity",
    figure: "saturation: most acks/s at any level",
    value: peak("worker"),
    unit: "/s",
    baseline: { label: "echo Worker", value: peak("echo") },
    ratio: saturation,
    ...(echoSaturated ? { target: ">= 0.8x echo", met: saturation >= 0.8 } : {}),
    note: `Miniflare API, no wrangler dev proxy; ${CHUNK_SECONDS} s audio chunks${echoSaturated ? (saturation < 0.8 ? `; missed by ${round(0.8 - saturation)}x` : "") : "; not judged: the echo Worker kept up at every level tried"}`,
  });
  const floorPeak = peak("floor");
  if (floorPeak > 0) {
    rows.push({
      section: "capacity",
      figure: "saturation: storage floor (one RPC + one SQLite INSERT per request)",
      value: floorPeak,
      unit: "/s",
      baseline: { label: "echo Worker", value: peak("echo") },
      ratio: ratio(floorPeak, peak("echo")),
      note: `bench/floor-worker, the same levels; the Worker reaches ${round(ratio(peak("worker"), floorPeak))}x of it`,
    });
  }
}

// 7. Finalization of a long call + DO storage per minute; abandoned past BENCH_BUDGET_SECONDS.
const final = await section("finalization", () =>
  runFinalization(FINAL_CALLS, FINAL_MINUTES, log, workerConfig, t0 + BUDGET_MS),
);
if (final) {
  const f: FinalizationSummary = final;
  const callMs = FINAL_MINUTES * 60_000;
  rows.push({
    section: "finalization",
    figure: `${FINAL_MINUTES}-min call: close -> finalized`,
    value: f.closeToFinalizedMs,
    unit: "ms",
    baseline: { label: "call length ms", value: callMs },
    ratio: ratio(f.closeToFinalizedMs, callMs),
    note: `close answered in ${round(f.closeAnsweredMs)} ms; ${FINAL_CALLS} call(s), median`,
  });
  rows.push({
    section: "finalization",
    figure: `${FINAL_MINUTES}-min call: close -> delivered at stand-in`,
    value: f.closeToDeliveredMs,
    unit: "ms",
    baseline: { label: "call length ms", value: callMs },
    ratio: ratio(f.closeToDeliveredMs, callMs),
    note: f.runs.every((r) => r.deliveredWithAudio)
      ? "stand-in got the WAV as voice_recording"
      : "WAV not seen at the stand-in",
  });
  rows.push({
    section: "storage",
    figure: "DO SQLite per minute of call (open)",
    value: f.doBytesPerMinuteOpen,
    unit: "B/min",
    baseline: { label: "raw stereo PCM/min", value: f.audioBytesPerMinute },
    ratio: ratio(f.doBytesPerMinuteOpen, f.audioBytesPerMinute),
    note: "audio waits in DO rows until a 5 MiB part is full",
  });
  rows.push({
    section: "storage",
    figure: "DO SQLite per minute of call (after delivery)",
    value: f.doBytesPerMinuteAfter,
    unit: "B/min",
    baseline: { label: "raw stereo PCM/min", value: f.audioBytesPerMinute },
    ratio: ratio(f.doBytesPerMinuteAfter, f.audioBytesPerMinute),
    note: "file size on disk (SQLite does not shrink files on delete)",
  });
  rows.push({
    section: "storage",
    figure: "R2 per minute of call (WAV + record)",
    value: f.r2BytesPerMinute,
    unit: "B/min",
    baseline: { label: "raw stereo PCM/min", value: f.audioBytesPerMinute },
    ratio: ratio(f.r2BytesPerMinute, f.audioBytesPerMinute),
  });
}

load.end = loadavg();
const result = {
  startedAt: new Date(Date.now() - (performance.now() - t0)).toISOString(),
  durationSeconds: Math.round((performance.now() - t0) / 1000),
  machine: { cores: cpus().length, cpu: cpus()[0]?.model ?? "unknown", loadAverage: load, node: process.version },
  settings: {
    quick: QUICK,
    levels: LEVELS,
    saturationLevels: SATURATION_LEVELS,
    levelSeconds: LEVEL_SECONDS,
    chunkSeconds: CHUNK_SECONDS,
    finalCalls: FINAL_CALLS,
    finalMinutes: FINAL_MINUTES,
    costCalls: COST_CALLS,
    costMinutes: COST_MINUTES,
    runtimes: RUNTIMES,
    pricesChecked: PRICES_CHECKED,
  },
  rows,
  failures,
  raw,
};
const dir = join(REPO_ROOT, "bench/results");
mkdirSync(dir, { recursive: true });
const resultFile = QUICK ? "quick.json" : "latest.json";
writeFileSync(join(dir, resultFile), `${JSON.stringify(result, null, 2)}\n`);

log("");
log(
  `Benchmarks, ${result.machine.cores} cores (${result.machine.cpu}), Node ${process.version}, load average at start ${load.start!.map((l) => l.toFixed(1)).join(" ")}, at end ${load.end.map((l) => l.toFixed(1)).join(" ")}`,
);
log(renderTable(rows));
if (cost) log(`\nCost detail (list prices of ${PRICES_CHECKED}, bench/cost/prices.ts):\n${describeCost(cost)}`);
const met = rows.filter((r) => r.met === true).map((r) => `${r.section}: ${r.figure}`);
const missed = rows.filter((r) => r.met === false).map((r) => `${r.section}: ${r.figure}`);
log(`\nTargets met (${met.length}): ${met.join("; ") || "none"}`);
log(`Targets missed (${missed.length}): ${missed.join("; ") || "none"}`);
if (failures.length) log(`\nFailed sections:\n${failures.map((f) => `- ${f}`).join("\n")}`);
log(
  `\n${rows.filter((r) => r.met === false).length} target(s) missed; total ${result.durationSeconds} s; JSON: bench/results/${resultFile}`,
);
process.exit(failures.length ? 1 : 0);
