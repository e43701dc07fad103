/**
 * The Worker (or the echo Worker) run straight on workerd through Miniflare's API, on a free
 * 127.0.0.1 port: no wrangler dev proxy between the load and the Worker. Bundled once with
 * `wrangler deploy --dry-run` (lib/wrangler-dev.ts), so edits to worker/ mid-run change nothing.
 * `wrangler dev` stays what `npm start` uses.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { Readable } from "node:stream";
import { Log, LogLevel, Miniflare } from "miniflare";
import { descendants } from "../../test/support/proc-table.ts";
import { localVars, REPO_ROOT } from "../../worker/local/local-worker.ts";
import { snapshotWorker } from "./wrangler-dev.ts";

export interface MiniflareWorker {
  url: string;
  /** The last 200 000 characters workerd printed (kept, not shown: under load it logs every reset connection). */
  output(): string;
  mf: Miniflare;
  /** The workerd process serving it (for its CPU time), when found. */
  pid: number | undefined;
  stop(): Promise<void>;
}

/** Bundles `entry` with the repository's wrangler.toml (bindings, vars, flags); returns the bundle's config. */
export async function snapshotEntry(entry: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "cekura-bench-entry-"));
  const toml = readFileSync(join(REPO_ROOT, "wrangler.toml"), "utf8").replace(
    /^main\s*=.*$/m,
    `main = ${JSON.stringify(entry)}`,
  );
  const config = join(dir, "wrangler.toml");
  writeFileSync(config, toml);
  return snapshotWorker(config);
}

/** The `[vars]` of a wrangler.toml (string values only, which is all this project uses). */
function varsOf(toml: string): Record<string, string> {
  const section = toml.split(/^\[vars\]\s*$/m)[1]?.split(/^\[/m)[0] ?? "";
  const vars: Record<string, string> = {};
  for (const match of section.matchAll(/^([A-Z0-9_]+)\s*=\s*"([^"]*)"/gm)) vars[match[1]!] = match[2]!;
  return vars;
}

function settings(toml: string, key: string): string | undefined {
  return new RegExp(`^${key}\\s*=\\s*(.+)$`, "m").exec(toml)?.[1]?.trim();
}

/** workerd processes below this Node process. */
function workerdPids(): Set<number> {
  return new Set(
    descendants(process.pid)
      .filter((p) => p.comm === "workerd")
      .map((p) => p.pid),
  );
}

/** User + system CPU seconds of a process so far. */
export function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

/**
 * Where Durable Object and R2 state live: in RAM (/dev/shm) when the machine has it. Miniflare's own
 * default is a temporary folder on disk, where every Durable Object write waits for the local disk's
 * fsync: on a shared VM disk that, not the Worker, became the limit (at 400 sessions the Worker stalled
 * with its CPU idle). On Cloudflare a write waits for replication instead. BENCH_STATE=disk keeps
 * Miniflare's default.
 */
function statePlace(): string | undefined {
  if (process.env.BENCH_STATE === "disk" || !existsSync("/dev/shm")) return undefined;
  return mkdtempSync(join("/dev/shm", "cekura-bench-"));
}

/** Starts a snapshotted Worker config (lib/wrangler-dev.ts snapshotWorker) on workerd via Miniflare. */
export async function startMiniflare(
  configPath: string,
  vars: Record<string, string> = {},
  options: { inspectorPort?: number } = {},
): Promise<MiniflareWorker> {
  const toml = readFileSync(configPath, "utf8");
  const date = JSON.parse(settings(toml, "compatibility_date") ?? '"2026-04-20"') as string;
  const flags = JSON.parse(settings(toml, "compatibility_flags") ?? "[]") as string[];
  const durableObjects: Record<string, { className: string; useSQLite: true }> = {};
  for (const match of toml.matchAll(
    /\[\[durable_objects\.bindings\]\]\s*\nname\s*=\s*"([^"]+)"\s*\nclass_name\s*=\s*"([^"]+)"/g,
  )) {
    durableObjects[match[1]!] = { className: match[2]!, useSQLite: true };
  }
  const r2Buckets = [...toml.matchAll(/\[\[r2_buckets\]\]\s*\nbinding\s*=\s*"([^"]+)"/g)].map((m) => m[1]!);
  const before = workerdPids();
  const persistRoot = statePlace();
  let output = "";
  const keep = (d: Buffer) => void (output = (output + d.toString()).slice(-200_000));
  const mf = new Miniflare({
    handleRuntimeStdio(stdout: Readable, stderr: Readable) {
      stdout.on("data", keep);
      stderr.on("data", keep);
    },
    host: "127.0.0.1",
    port: 0,
    log: new Log(LogLevel.WARN),
    // A placeholder Request.cf: fetching the real one needs the internet.
    cf: false,
    modules: true,
    scriptPath: join(
      dirname(configPath),
      "bundle",
      readdirSync(join(dirname(configPath), "bundle")).find((f) => f.endsWith(".js")) ?? "index.js",
    ),
    modulesRoot: join(dirname(configPath), "bundle"),
    compatibilityDate: date,
    compatibilityFlags: flags,
    durableObjects,
    r2Buckets,
    bindings: { ...varsOf(toml), ...localVars(), ...vars },
    ...(persistRoot ? { defaultPersistRoot: persistRoot } : {}),
    ...(options.inspectorPort ? { inspectorPort: options.inspectorPort } : {}),
  });
  const url = (await mf.ready).toString().replace(/\/$/, "");
  const pid = [...workerdPids()].find((p) => !before.has(p));
  const stop = async () => {
    await mf.dispose();
    if (persistRoot) rmSync(persistRoot, { recursive: true, force: true });
  };
  return { url, mf, pid, output: () => output, stop };
}

/** The repository's Worker, bundled now and started through Miniflare. */
export async function startWorkerMiniflare(
  vars: Record<string, string> = {},
  configPath?: string,
  options: { inspectorPort?: number } = {},
): Promise<MiniflareWorker> {
  return startMiniflare(configPath ?? (await snapshotWorker()), vars, options);
}

/** The storage floor (bench/floor-worker: one RPC + one SQLite INSERT per request), the same way. */
export async function startFloorMiniflare(): Promise<MiniflareWorker> {
  return startMiniflare(await snapshotWorker(join(REPO_ROOT, "bench/floor-worker/wrangler.toml")));
}

/** The bare Hono echo Worker (bench/echo-worker), the same way. */
export async function startEchoMiniflare(): Promise<MiniflareWorker> {
  return startMiniflare(await snapshotWorker(join(REPO_ROOT, "bench/echo-worker/wrangler.toml")));
}
