/**
 * `wrangler dev --local` on a free 127.0.0.1 port for benchmarks. The Worker is bundled once into a
 * temporary folder first (`wrangler deploy --dry-run`), so wrangler's file watcher never restarts it
 * mid-run when someone edits worker/ (a restart answers 503 "Your worker restarted mid-request").
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT, startLocalWorker } from "../../worker/local/local-worker.ts";

export interface DevWorker {
  url: string;
  persistTo: string;
  /** The last 500 000 characters wrangler printed (for diagnosing errors under load). */
  output(): string;
  stop(): Promise<void>;
}

const WRANGLER = join(REPO_ROOT, "node_modules/wrangler/bin/wrangler.js");
const ENV = { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", CI: "true" };

function run(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WRANGLER, ...args], {
      cwd: REPO_ROOT,
      env: ENV,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    child.on("exit", (code) =>
      code === 0
        ? resolve(output)
        : reject(new Error(`wrangler ${args.join(" ")} exited ${code}:\n${output.slice(-2000)}`)),
    );
  });
}

/** Bundles the config's Worker into a new folder; returns a wrangler.toml there that runs the bundle. */
export async function snapshotWorker(configPath = join(REPO_ROOT, "wrangler.toml")): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "cekura-bench-bundle-"));
  await run(["deploy", "--dry-run", "--config", configPath, "--outdir", join(dir, "bundle")]);
  const toml = readFileSync(configPath, "utf8").replace(/^main\s*=.*$/m, 'main = "bundle/index.js"\nno_bundle = true');
  const out = join(dir, "wrangler.toml");
  writeFileSync(out, toml);
  return out;
}

export async function startWranglerDev(
  configPath: string,
  options: { vars?: Record<string, string>; persistTo?: string } = {},
): Promise<DevWorker> {
  return startLocalWorker({
    configPath,
    vars: options.vars,
    persistTo: options.persistTo ?? mkdtempSync(join(tmpdir(), "cekura-bench-state-")),
    logLevel: process.env.BENCH_WRANGLER_LOG ?? "warn",
    readyTimeoutMs: 90_000,
  });
}

/** The bare Hono echo Worker (bench/echo-worker), same wrangler dev, same snapshotting. */
export async function startEchoWorker(): Promise<DevWorker> {
  return startWranglerDev(await snapshotWorker(join(REPO_ROOT, "bench/echo-worker/wrangler.toml")));
}
