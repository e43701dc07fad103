/**
 * `npm start` end to end: the Worker, the Cekura stand-in and a fast demo call; the printed session is
 * finalized and delivered and its inspector URL works; Ctrl-C (SIGINT to the process group) stops
 * everything; a second start (--worker-only) on the same data folder still shows the call.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../worker/local/local-worker.ts";

const KEY = `start-test-${crypto.randomUUID()}`;
const dataDir = mkdtempSync(join(tmpdir(), "cekura-start-"));
const running: ChildProcess[] = [];

interface Started {
  child: ChildProcess;
  output: () => string;
  url: string;
  exited: Promise<number | null>;
}

/** Runs the start command in its own process group until it prints "Ctrl-C to stop.". */
async function start(args: string[]): Promise<Started> {
  const child = spawn(
    process.execPath,
    [join(REPO_ROOT, "node_modules/tsx/dist/cli.mjs"), "worker/local/start.ts", ...args],
    {
      cwd: REPO_ROOT,
      detached: true,
      env: { ...process.env, PORT: "0", CEKURA_DATA_DIR: dataDir, CEKURA_API_KEY: KEY },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  running.push(child);
  let output = "";
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      if (output.includes("Ctrl-C to stop.")) {
        clearInterval(timer);
        resolve();
      } else if (child.exitCode !== null) {
        clearInterval(timer);
        reject(new Error(`start exited with ${child.exitCode}:\n${output}`));
      }
    }, 200);
  });
  const url = /Worker ready: (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
  if (!url) throw new Error(`no Worker URL in:\n${output}`);
  return { child, output: () => output, url, exited };
}

/** Ctrl-C as a terminal sends it: SIGINT to the whole process group. */
async function ctrlC(started: Started): Promise<number | null> {
  process.kill(-started.child.pid!, "SIGINT");
  return started.exited;
}

afterAll(() => {
  for (const child of running)
    if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, "SIGKILL");
  rmSync(dataDir, { recursive: true, force: true });
});

describe("npm start", { timeout: 300_000 }, () => {
  let sessionId = "";

  it("plays the demo call, prints its session, forward status and inspector URL, and stops on Ctrl-C", async () => {
    const first = await start(["--fast"]);
    const out = first.output();
    const line = /session ([0-9a-f-]{36}): (\w+), forward (\w+), ([\d.]+) s audio/.exec(out);
    expect(line, out).not.toBeNull();
    sessionId = line![1]!;
    expect(line![2]).toBe("finalized");
    expect(line![3]).toBe("delivered");
    expect(Number(line![4])).toBeGreaterThan(60);
    expect(out).toContain("the Cekura stand-in received 1 call(s)");
    expect(out).toContain(`${first.url}/inspect/${sessionId}`);
    expect(out).toContain(`sign in with the API key "${KEY}"`);
    expect(out).not.toContain("?key=");

    const page = await fetch(`${first.url}/inspect/${sessionId}`, { headers: { authorization: `Bearer ${KEY}` } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("lookup_order");
    expect(html).toContain("delivered");

    expect(await ctrlC(first)).toBe(0);
    expect(first.output()).toContain("stopping ...");
    await expect(fetch(`${first.url}/healthz`)).rejects.toThrow();
  });

  it("reuses the data on a second start (--worker-only plays no demo)", async () => {
    expect(sessionId).not.toBe("");
    const second = await start(["--worker-only"]);
    expect(second.output()).not.toContain("demo call");
    const list = await fetch(`${second.url}/inspect`, { headers: { authorization: `Bearer ${KEY}` } });
    const html = await list.text();
    expect(html).toContain(sessionId);
    const status = (await (
      await fetch(`${second.url}/v1/sessions/${sessionId}`, { headers: { authorization: `Bearer ${KEY}` } })
    ).json()) as { state: string };
    expect(status.state).toBe("finalized");
    expect(await ctrlC(second)).toBe(0);
  });
});
