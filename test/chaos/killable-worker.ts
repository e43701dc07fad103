/**
 * The real local Worker (wrangler dev on workerd) on a fixed port and a persisted state folder, which a
 * test can crash: SIGKILL to the workerd process (no shutdown, no flush, in-flight requests cut), then
 * a new Worker on the same port and the same state, so clients that retry (the SDK) simply carry on.
 */
import { startLocalWorker, type LocalWorker } from "../../worker/local/local-worker.ts";
import { freePort } from "../../worker/local/ports.ts";
import { descendants } from "../support/proc-table.ts";

export interface KillableWorker {
  readonly url: string;
  readonly persistTo: string;
  /** SIGKILLs workerd, stops what is left of wrangler, starts a new Worker on the same port and state. */
  crashAndRestart(): Promise<{ killedPids: number[] }>;
  /** What the current wrangler/workerd printed (for failure messages). */
  output(): string;
  stop(): Promise<void>;
}

export async function startKillableWorker(vars: Record<string, string>): Promise<KillableWorker> {
  const port = await freePort();
  let worker: LocalWorker = await startLocalWorker({ vars, port });
  const persistTo = worker.persistTo;
  /** A restart under way: stop() waits for it, so a failed test leaves no Worker running. */
  let restarting: Promise<unknown> = Promise.resolve();
  const crashAndRestart = async () => {
    const workerd = descendants(worker.pid).filter((p) => p.comm === "workerd");
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
