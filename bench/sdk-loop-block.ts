/**
 * The longest event-loop block the SDK causes in the caller's process (issue 25: <= 5 ms), per
 * runtime: tracer construction (traces on, the default), the first call (observe + a turn with stt,
 * llm, a tool call, tts) and steady state (50 more turns), each in a fresh process of node, deno
 * and bun running the built package (bench/lib/loop-block-probe.mjs), median of BENCH_LOOP_RUNS. The
 * runtime's own first fetch() is made and shown first, apart: any app's first fetch pays it.
 * Run: npx tsx bench/sdk-loop-block.ts
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { REPO_ROOT } from "../worker/local/local-worker.ts";
import { median } from "./lib/stats.ts";
import type { Row } from "./lib/table.ts";

const RUNS = Number(process.env.BENCH_LOOP_RUNS ?? 5);
const BUDGET_MS = 5;
const PHASES = ["construction", "firstCall", "steady"] as const;
type Phase = (typeof PHASES)[number] | "idle" | "firstFetch";
interface Probe extends Record<Phase, { blockMs: number; syncMs: number }> {
  importMs: number;
}
export type LoopBlockResult = Record<string, Record<Phase, { blockMs: number; syncMs: number }> & { importMs: number }>;

function probe(runtime: "node" | "deno" | "bun", entry: string): Probe {
  const script = join(REPO_ROOT, "bench/lib/loop-block-probe.mjs");
  const url = pathToFileURL(entry).href;
  const [command, args] =
    runtime === "node"
      ? [process.execPath, [script, url]]
      : runtime === "deno"
        ? [join(REPO_ROOT, "node_modules/.bin/deno"), ["run", "--allow-read", "--allow-net=127.0.0.1", script, url]]
        : [join(REPO_ROOT, "node_modules/.bin/bun"), [script, url]];
  const run = spawnSync(command, args, { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  const line = run.stdout.split("\n").find((l) => l.startsWith("LOOP_BLOCK "));
  if (!line) throw new Error(`${runtime} loop-block probe failed: ${run.stdout}${run.stderr}`);
  return JSON.parse(line.slice("LOOP_BLOCK ".length)) as Probe;
}

export function runLoopBlock(
  runtimes: readonly ("node" | "deno" | "bun")[] = ["node", "deno", "bun"],
  entry = join(REPO_ROOT, "sdk/dist/index.js"),
): LoopBlockResult {
  const built = spawnSync(process.execPath, [join(REPO_ROOT, "sdk/scripts/build.mjs")], { encoding: "utf8" });
  if (built.status !== 0) throw new Error(`building the SDK failed:\n${built.stdout}${built.stderr}`);
  const out: LoopBlockResult = {};
  for (const runtime of runtimes) {
    const runs = Array.from({ length: RUNS }, () => probe(runtime, entry));
    const at = (phase: Phase) => ({
      blockMs: median(runs.map((r) => r[phase].blockMs)),
      syncMs: median(runs.map((r) => r[phase].syncMs)),
    });
    out[runtime] = {
      importMs: median(runs.map((r) => r.importMs)),
      idle: at("idle"),
      firstFetch: at("firstFetch"),
      construction: at("construction"),
      firstCall: at("firstCall"),
      steady: at("steady"),
    };
  }
  return out;
}

export function loopBlockRows(r: LoopBlockResult): Row[] {
  const rows: Row[] = [];
  for (const [runtime, phases] of Object.entries(r)) {
    rows.push({
      section: "sdk event loop",
      figure: `the runtime's own first fetch(), ${runtime}`,
      value: phases.firstFetch.blockMs,
      unit: "ms",
      note: "not the SDK's code: the first fetch of any app pays it (Node 20 evaluates undici); done before the phases below",
    });
    for (const phase of PHASES) {
      rows.push({
        section: "sdk event loop",
        figure: `longest block, ${phase}, ${runtime}`,
        value: phases[phase].blockMs,
        unit: "ms",
        baseline: { label: "same process idle", value: phases.idle.blockMs },
        target: `<= ${BUDGET_MS} ms`,
        met: phases[phase].blockMs <= BUDGET_MS,
        note: `sync part ${phases[phase].syncMs.toFixed(2)} ms; median of ${RUNS} fresh processes`,
      });
    }
  }
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const { renderTable } = await import("./lib/table.ts");
  const result = runLoopBlock();
  console.log(renderTable(loopBlockRows(result)));
  console.log(`BENCH_JSON ${JSON.stringify(result)}`);
}
