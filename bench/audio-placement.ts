/**
 * Marker error of the call-audio placement (issue 25), per runtime: a 20 ms source paced in real time
 * is placed by the SDK's estimator (sdk/audio/placement.ts) and, from the same arrivals in the same
 * run, by the rule it replaced (each buffer stamped "now"; silence fills gaps over 10 ms; late buffers
 * back to back). Cases: paced (no jitter), jitter (a seeded 5% of frames delayed up to 150 ms, those
 * behind them held back), stall (one 250 ms busy-wait after frame 10). Each case is 6 s of audio
 * (BENCH_PLACEMENT_SECONDS), markers every 100 ms, error = placed - captured; p50/p99 of |error|.
 * About 20 s per runtime. Run: npx tsx bench/audio-placement.ts
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { REPO_ROOT } from "../worker/local/local-worker.ts";
import { p99, median } from "./lib/stats.ts";
import type { Row } from "./lib/table.ts";
import { whenRunAlone } from "./lib/run-alone.ts";

const CASES = ["paced", "jitter", "stall"] as const;
type Errors = { estimator: number[]; oldRule: number[] };
export type AudioPlacementResult = Record<string, Record<(typeof CASES)[number], Errors>>;
const TARGET_MS = 20;

function probe(runtime: "node" | "deno" | "bun"): Record<(typeof CASES)[number], Errors> {
  const script = join(REPO_ROOT, "bench/lib/placement-probe.ts");
  const bin = (name: string) => join(REPO_ROOT, "node_modules/.bin", name);
  const [command, args] =
    runtime === "node"
      ? [bin("tsx"), [script]]
      : runtime === "deno"
        ? [bin("deno"), ["run", "--allow-env=BENCH_PLACEMENT_SECONDS", script]]
        : [bin("bun"), [script]];
  const run = spawnSync(command, args, {
    cwd: REPO_ROOT,
    encoding: "utf8",
    timeout: 120_000,
    env: { ...process.env, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
  });
  const line = run.stdout?.split("\n").find((l) => l.startsWith("BENCH_JSON "));
  if (!line) throw new Error(`${runtime} placement probe failed: ${run.stdout}${run.stderr}`);
  return JSON.parse(line.slice("BENCH_JSON ".length)) as Record<(typeof CASES)[number], Errors>;
}

export function runAudioPlacement(runtimes: readonly ("node" | "deno" | "bun")[] = ["node", "deno", "bun"]) {
  const out: AudioPlacementResult = {};
  for (const runtime of runtimes) out[runtime] = probe(runtime);
  return out;
}

export function audioPlacementRows(r: AudioPlacementResult): Row[] {
  const rows: Row[] = [];
  const abs = (xs: number[]) => xs.map(Math.abs);
  for (const [runtime, cases] of Object.entries(r)) {
    for (const name of CASES) {
      const { estimator, oldRule } = cases[name];
      for (const [q, label] of [
        [median, "p50"],
        [p99, "p99"],
      ] as const) {
        const value = q(abs(estimator));
        rows.push({
          section: "audio placement",
          figure: `marker error ${label}, ${name}, ${runtime}`,
          value,
          unit: "ms",
          baseline: { label: "old rule", value: q(abs(oldRule)) },
          target: `<= ${TARGET_MS} ms`,
          met: value <= TARGET_MS,
          note: `${estimator.length} markers; worst ${Math.max(...abs(estimator))} ms (old rule ${Math.max(...abs(oldRule))} ms)`,
        });
      }
    }
  }
  return rows;
}

whenRunAlone(import.meta.url, () => runAudioPlacement(), audioPlacementRows);
