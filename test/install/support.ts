/**
 * The SDK as its users get it: packed with `npm pack` (which builds it), installed from the tarball
 * into fresh temporary projects. The tarball is cached per content of sdk/, and built under a lock,
 * so test files running at the same time never build into sdk/dist together.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { REPO_ROOT } from "../../worker/local/local-worker.ts";

export const SDK_DIR = join(REPO_ROOT, "sdk");
export const CONSUMER_DIR = join(REPO_ROOT, "test/install/consumer");
export const BIN = (name: string) => join(REPO_ROOT, "node_modules/.bin", name);

export const RUN_ENV = {
  ...process.env,
  WRANGLER_SEND_METRICS: "false",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  DENO_NO_UPDATE_CHECK: "1",
  DENO_NO_PROMPT: "1",
  NO_COLOR: "1",
};

/** Runs a command to completion; throws with its output when it fails. */
export function sh(command: string, args: string[], cwd: string, timeoutMs = 300_000): string {
  const result = spawnSync(command, args, {
    cwd,
    env: RUN_ENV,
    encoding: "utf8",
    timeout: timeoutMs,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0) {
    throw new Error(
      `${command} ${args.join(" ")} (in ${cwd}) failed with ${result.status ?? result.signal}:\n${result.stdout}\n${result.stderr}`,
    );
  }
  return `${result.stdout}${result.stderr}`;
}

/** Holds a lock (an exclusive folder) while `work` runs. */
export async function withLock<T>(name: string, work: () => T | Promise<T>): Promise<T> {
  const lock = join(tmpdir(), `${name}.lock`);
  const deadline = Date.now() + 300_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // A lock left by a killed run is stale after five minutes.
      if (existsSync(lock) && Date.now() - statSync(lock).mtimeMs > 300_000)
        rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`waited too long for ${lock}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    return await work();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function sourceHash(): string {
  const hash = createHash("sha256");
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      if (name === "dist" || name === "node_modules") continue;
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else hash.update(relative(SDK_DIR, path)).update(readFileSync(path));
    }
  };
  walk(SDK_DIR);
  return hash.digest("hex").slice(0, 16);
}

/** Builds and packs the SDK (`npm pack` runs the build); returns the tarball's path. */
export async function packSdk(): Promise<string> {
  return withLock("cekura-sdk-build", () => {
    const dir = join(tmpdir(), `cekura-sdk-pack-${sourceHash()}`);
    const version = (JSON.parse(readFileSync(join(SDK_DIR, "package.json"), "utf8")) as { version: string }).version;
    const tarball = join(dir, `cekura-edge-tracer-${version}.tgz`);
    if (existsSync(tarball)) return tarball;
    mkdirSync(dir, { recursive: true });
    sh("npm", ["pack", "--pack-destination", dir, "--silent"], SDK_DIR);
    return tarball;
  });
}

/** A new project with the tarball installed from npm's cache (the registry only for what is missing). */
export function freshProject(tarball: string, label: string): string {
  const dir = mkdtempSync(join(tmpdir(), `cekura-install-${label}-`));
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify({ name: `install-test-${label}`, private: true, type: "module" }, null, 2),
  );
  sh("npm", ["install", tarball, "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"], dir);
  cpSync(CONSUMER_DIR, dir, { recursive: true });
  return dir;
}

export interface CallOutcome {
  state: string;
  stats: {
    recorded: { transcripts: number };
    sent: { events: number; fragments: number };
    dropped: { events: number };
  };
  warnings: string[];
  adapters: Record<string, string>;
  errors: string;
}

/** The `@@CALL {...}` line a consumer script prints. */
export function parseCall(output: string): CallOutcome {
  const line = output.split("\n").find((l) => l.startsWith("@@CALL "));
  if (!line) throw new Error(`the consumer printed no @@CALL line:\n${output.slice(-4000)}`);
  return JSON.parse(line.slice("@@CALL ".length)) as CallOutcome;
}

/** The finalized record the Worker holds for a session. */
export async function recordOf(
  ingestUrl: string,
  apiKey: string,
  sessionId: string,
): Promise<{ transcript: { role: string; text: string }[]; metadata: Record<string, unknown> }> {
  const url = `${ingestUrl}/v1/sessions/${encodeURIComponent(sessionId)}/record`;
  const get = () => fetch(url, { headers: { authorization: `Bearer ${apiKey}` } });
  // A kept-alive connection that wrangler dev closed while a runtime ran fails once: a GET may repeat.
  const response = await get().catch(get);
  if (response.status !== 200)
    throw new Error(`GET record of ${sessionId}: ${response.status} ${await response.text()}`);
  return (await response.json()) as { transcript: { role: string; text: string }[]; metadata: Record<string, unknown> };
}

/** The files `deno publish` would upload, as it lists them in a dry run. */
export function jsrFiles(): string[] {
  const output = sh(BIN("deno"), ["publish", "--dry-run", "--allow-dirty"], SDK_DIR);
  const prefix = `file://${SDK_DIR}/`;
  return output
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line.startsWith(prefix))
    .map((line) => line.slice(prefix.length).replace(/\s+\([^)]*\)$/, ""));
}
