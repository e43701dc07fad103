/**
 * `wrangler dev --local` on a free 127.0.0.1 port for benchmarks. The Worker is bundled once into a
 * temporary folder first (`wrangler deploy --dry-run`), so wrangler's file watcher never restarts it
 * mid-run when someone edits worker/ (a restart answers 503 "Your worker restarted mid-request").
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../../worker/local/ports.ts";
import { REPO_ROOT } from "../../worker/local/local-worker.ts";

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
    const child = spawn(process.execPath, [WRANGLER, ...args], { cwd: REPO_ROOT, env: ENV, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    child.on("exit", (code) => (code === 0 ? resolve(output) : reject(new Error(`wrangler ${args.join(" ")} exited ${code}:\n${output.slice(-2000)}`))));
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

export async function startWranglerDev(configPath: string, options: { vars?: Record<string, string>; persistTo?: string } = {}): Promise<DevWorker> {
  const port = await freePort();
  const inspectorPort = await freePort();
  const persistTo = options.persistTo ?? mkdtempSync(join(tmpdir(), "cekura-bench-state-"));
  const args = [
    WRANGLER, "dev",
    "--config", configPath,
    "--local",
    "--ip", "127.0.0.1",
    "--port", String(port),
    "--inspector-port", String(inspectorPort),
    "--persist-to", persistTo,
    "--show-interactive-dev-session=false",
    "--log-level", process.env.BENCH_WRANGLER_LOG ?? "warn",
  ];
  for (const [key, value] of Object.entries(options.vars ?? {})) args.push("--var", `${key}:${value}`);
  const child: ChildProcess = spawn(process.execPath, args, { cwd: REPO_ROOT, env: ENV, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout?.on("data", (d) => (output = (output + d).slice(-500_000)));
  child.stderr?.on("data", (d) => (output = (output + d).slice(-500_000)));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once("exit", () => r()));
    child.kill("SIGINT");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
  };
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited with ${child.exitCode}:\n${output}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) return { url, persistTo, stop, output: () => output };
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`wrangler dev did not answer /healthz within 90 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The bare Hono echo Worker (bench/echo-worker), same wrangler dev, same snapshotting. */
export async function startEchoWorker(): Promise<DevWorker> {
  return startWranglerDev(await snapshotWorker(join(REPO_ROOT, "bench/echo-worker/wrangler.toml")));
}
