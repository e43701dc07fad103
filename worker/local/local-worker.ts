import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { freePort, isAddressInUse } from "./ports.ts";

export const REPO_ROOT = resolve(import.meta.dirname, "../..");

/**
 * wrangler.toml forwards to Cekura's own hosts (what `wrangler deploy` should do). A local Worker
 * forwards only where its caller says (the stand-in), and otherwise nowhere: nothing leaves the machine.
 */
export const LOCAL_CEKURA_VARS = { CEKURA_HOST: "", CEKURA_OTEL_ENDPOINT: "" } as const;

/**
 * What every local Worker (wrangler dev, Miniflare in benches) runs with: forwarding nowhere unless the
 * caller points it at a stand-in, any key accepted (wrangler.toml refuses that for deployments), and
 * inspector logins signed with a fresh secret per start (docs/inspector.md, "Hardening").
 */
export function localVars(): Record<string, string> {
  return {
    ...LOCAL_CEKURA_VARS,
    ALLOW_ANY_KEY: "true",
    INSPECTOR_SECRET: `local-${crypto.randomUUID()}${crypto.randomUUID()}`,
  };
}

export interface LocalWorkerOptions {
  /** Extra [vars] for the Worker (override wrangler.toml and LOCAL_CEKURA_VARS). */
  vars?: Record<string, string>;
  /** Folder for Durable Object + R2 state; a new temporary folder by default. */
  persistTo?: string;
  port?: number;
  /** Print wrangler's output (for the local start command). */
  inheritOutput?: boolean;
  /** Another wrangler config (the benches run a pre-bundled snapshot); default the repo's wrangler.toml. */
  configPath?: string;
  /** wrangler's --log-level (default "warn", or "info" with inheritOutput). */
  logLevel?: string;
  /** How long to wait for /healthz (default 60 s). */
  readyTimeoutMs?: number;
}

export interface LocalWorker {
  url: string;
  port: number;
  persistTo: string;
  /** The process running wrangler (its workerd processes are its descendants). */
  pid: number;
  /** The last 500 000 characters wrangler printed (empty with inheritOutput). */
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts the real Worker on workerd with `wrangler dev --local` on 127.0.0.1 and waits for /healthz.
 * When it chose the ports itself and one was taken before wrangler bound it, it starts again on others.
 */
export async function startLocalWorker(options: LocalWorkerOptions = {}): Promise<LocalWorker> {
  const persistTo = options.persistTo ?? mkdtempSync(join(tmpdir(), "cekura-worker-"));
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce({ ...options, persistTo }, options.port ?? (await freePort()));
    } catch (error) {
      const retry = error instanceof PortTaken && (options.port === undefined || attempt < 3);
      if (!retry || attempt >= 5) throw error;
      await new Promise((r) => setTimeout(r, 300 * attempt));
    }
  }
}

class PortTaken extends Error {}

async function startOnce(options: LocalWorkerOptions & { persistTo: string }, port: number): Promise<LocalWorker> {
  const launch = {
    config: options.configPath ?? join(REPO_ROOT, "wrangler.toml"),
    port,
    persistTo: options.persistTo,
    logLevel: options.logLevel ?? (options.inheritOutput ? "info" : "warn"),
    vars: { ...localVars(), ...options.vars },
  };
  // wrangler dev --local through its API, with the DevTools inspector off (see wrangler-dev-quiet.mjs).
  const args = [join(REPO_ROOT, "worker/local/wrangler-dev-quiet.mjs"), JSON.stringify(launch)];
  const persistTo = options.persistTo;

  const child = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", CI: "true" },
    stdio: options.inheritOutput ? ["ignore", "inherit", "inherit"] : ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (d) => (output = (output + d).slice(-500_000)));
  child.stderr?.on("data", (d) => (output = (output + d).slice(-500_000)));

  const url = `http://127.0.0.1:${port}`;
  const readyTimeoutMs = options.readyTimeoutMs ?? 60_000;
  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (child.exitCode !== null) {
      const message = `wrangler dev exited with ${child.exitCode}:\n${output}`;
      throw isAddressInUse(output) ? new PortTaken(message) : new Error(message);
    }
    try {
      const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) });
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stopChild(child);
      throw new Error(`wrangler dev did not answer /healthz within ${readyTimeoutMs / 1000} s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { url, port, persistTo, pid: child.pid!, output: () => output, stop: () => stopChild(child) };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGINT");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
  await exited;
  clearTimeout(timer);
}
