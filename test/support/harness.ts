/**
 * The one way tests start the real Worker outside workerd's test pool: `wrangler dev --local` on a
 * free 127.0.0.1 port (worker/local/local-worker.ts), optionally with the Cekura stand-in it forwards
 * to, and a restart on the same persisted state (a hard eviction of every Durable Object).
 */
import { startCekuraStandIn, type CekuraStandIn } from "../../worker/local/cekura-standin.ts";
import { startLocalWorker, type LocalWorker } from "../../worker/local/local-worker.ts";

export interface HarnessOptions {
  /** Extra [vars] for the Worker. */
  vars?: Record<string, string>;
  /** Start the Cekura stand-in and point CEKURA_HOST and CEKURA_OTEL_ENDPOINT at it (default true). */
  standIn?: boolean;
  /** Where the Worker keeps its local state (default: a fresh temporary directory). */
  persistTo?: string;
}

export interface Harness {
  /** Present when started with `standIn` (the default). */
  standIn: CekuraStandIn;
  worker: LocalWorker;
  vars: Record<string, string>;
  /** Stops the Worker process and starts it again on the same state. */
  restartWorker(): Promise<void>;
  stop(): Promise<void>;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const standIn = options.standIn === false ? undefined : await startCekuraStandIn();
  const vars = {
    ...(standIn ? { CEKURA_HOST: standIn.url, CEKURA_OTEL_ENDPOINT: `${standIn.url}/v1/traces` } : {}),
    ...options.vars,
  };
  let worker = await startLocalWorker({ vars, persistTo: options.persistTo });
  const harness: Harness = {
    standIn: standIn as CekuraStandIn,
    worker,
    vars,
    async restartWorker() {
      await worker.stop();
      worker = await startLocalWorker({ vars, persistTo: worker.persistTo });
      harness.worker = worker;
    },
    async stop() {
      await worker.stop();
      await standIn?.stop();
    },
  };
  return harness;
}
