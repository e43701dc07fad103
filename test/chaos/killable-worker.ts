/**
 * The real local Worker (wrangler dev on workerd) on a fixed port and a persisted state folder, which a
 * test can crash: SIGKILL to the workerd process (no shutdown, no flush, in-flight requests cut), then
 * a new Worker on the same port and the same state, so clients that retry (the SDK) simply carry on.
 */
import { readdirSync, readFileSync } from "node:fs";
import { startLocalWorker, type LocalWorker } from "../../worker/local/local-worker.ts";
import { freePort } from "../../worker/local/ports.ts";

export interface KillableWorker {
  readonly url: string;
  readonly persistTo: string;
  /** SIGKILLs workerd, stops what is left of wrangler, starts a new Worker on the same port and state. */
  crashAndRestart(): Promise<{ killedPids: number[] }>;
  /** What the current wrangler/workerd printed (for failure messages). */
  output(): string;
  stop(): Promise<void>;
}

/** Every process below `root` (children, grandchildren...), from /proc. */
function descendants(root: number): { pid: number; comm: string }[] {
  const byParent = new Map<number, { pid: number; comm: string }[]>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      // "pid (comm) state ppid ...": comm may contain spaces and parentheses, so split at the last ")".
      const close = stat.lastIndexOf(")");
      const comm = stat.slice(stat.indexOf("(") + 1, close);
      const ppid = Number(stat.slice(close + 2).split(" ")[1]);
      const list = byParent.get(ppid) ?? [];
      list.push({ pid: Number(name), comm });
      byParent.set(ppid, list);
    } catch {
      // the process ended while we looked
    }
  }
  const out: { pid: number; comm: string }[] = [];
  const visit = (pid: number) => {
    for (const child of byParent.get(pid) ?? []) {
      out.push(child);
      visit(child.pid);
    }
  };
  visit(root);
  return out;
}

/** The wrangler process serving `persistTo` (its command line names the folder). */
function wranglerPid(persistTo: string): number {
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const args = readFileSync(`/proc/${name}/cmdline`, "utf8").split("\0");
      const at = args.indexOf("--persist-to");
      if (at >= 0 && args[at + 1] === persistTo && args.some((a) => a.endsWith("wrangler.js"))) return Number(name);
    } catch {
      // the process ended while we looked
    }
  }
  throw new Error(`no wrangler process serves ${persistTo}`);
}

export async function startKillableWorker(vars: Record<string, string>): Promise<KillableWorker> {
  const port = await freePort();
  let worker: LocalWorker = await startLocalWorker({ vars, port });
  const persistTo = worker.persistTo;
  /** A restart under way: stop() waits for it, so a failed test leaves no Worker running. */
  let restarting: Promise<unknown> = Promise.resolve();
  const crashAndRestart = async () => {
    const workerd = descendants(wranglerPid(persistTo)).filter((p) => p.comm === "workerd");
    if (workerd.length === 0) throw new Error("wrangler dev runs no workerd process");
    for (const p of workerd) process.kill(p.pid, "SIGKILL");
    await worker.stop();
    worker = await startLocalWorker({ vars, port, persistTo });
    return { killedPids: workerd.map((p) => p.pid) };
  };
  return {
    url: worker.url,
    persistTo,
    crashAndRestart() {
      const run = crashAndRestart();
      restarting = run.catch(() => undefined);
      return run;
    },
    output: () => worker.output(),
    async stop() {
      await restarting;
      await worker.stop();
    },
  };
}
