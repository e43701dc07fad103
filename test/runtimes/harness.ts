/**
 * One vitest test per shared SDK case, for one runtime: starts the real local Worker, runs the whole
 * suite in that runtime once (beforeAll), then reports each case's result as its own test.
 */
import { afterAll, beforeAll, describe, it } from "vitest";
import { startCekuraStandIn, type CekuraStandIn } from "../../worker/local/cekura-standin.ts";
import { startLocalWorker, type LocalWorker } from "../../worker/local/local-worker.ts";
import { allCases, type CaseContext, type CaseResult, type Runtime } from "../sdk/cases/index.ts";

export type SuiteBase = Omit<CaseContext, "uid">;

export function runtimeSuite(
  runtime: Runtime,
  runAll: (base: SuiteBase) => Promise<CaseResult[]>,
  label: string = runtime,
): void {
  describe(`shared SDK suite in ${label}`, () => {
    let worker: LocalWorker | undefined;
    let standIn: CekuraStandIn | undefined;
    let results = new Map<string, CaseResult>();
    let failure: unknown;

    beforeAll(async () => {
      // The Worker forwards spans to a Cekura stand-in (records are not forwarded: CEKURA_HOST stays empty).
      standIn = await startCekuraStandIn();
      worker = await startLocalWorker({ vars: { CEKURA_OTEL_ENDPOINT: `${standIn.url}/v1/traces` } });
      const base: SuiteBase = {
        runtime,
        ingestUrl: worker.url,
        apiKey: `sdk-suite-${runtime}-${crypto.randomUUID()}`,
        agentId: 4242,
        standInUrl: standIn.url,
      };
      try {
        results = new Map((await runAll(base)).map((r) => [r.name, r]));
        if (process.env.SDK_SUITE_TIMINGS)
          console.log([...results.values()].map((r) => `${r.ms} ms  ${r.name}`).join("\n"));
      } catch (error) {
        failure = error;
      }
    }, 600_000);

    afterAll(async () => {
      await worker?.stop();
      await standIn?.stop();
    });

    for (const c of allCases) {
      const test = c.skip?.includes(runtime) ? it.skip : it;
      test(c.name, () => {
        if (failure) throw failure;
        const result = results.get(c.name);
        if (!result) throw new Error(`the ${runtime} run reported no result for "${c.name}"`);
        if (!result.ok) throw new Error(`[${runtime}] ${result.error}`);
      });
    }
  });
}

/** Parses the `@@RESULTS <json>` line a script runtime prints. */
export function parseResults(stdout: string, stderr: string, runtime: string): CaseResult[] {
  const line = stdout.split("\n").find((l) => l.startsWith("@@RESULTS "));
  if (!line)
    throw new Error(`${runtime} printed no results.\nstdout:\n${stdout.slice(-4000)}\nstderr:\n${stderr.slice(-4000)}`);
  return JSON.parse(line.slice("@@RESULTS ".length)) as CaseResult[];
}
