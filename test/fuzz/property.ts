/**
 * One property per file: the real Worker (wrangler dev on workerd, with the Cekura stand-in it forwards to),
 * fresh sessions per run, a generated sequence of operations each, then the checks of session-runner.ts.
 */
import fc from "fast-check";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startHarness, type Harness } from "../support/harness.ts";
import { SESSION_PLACEHOLDER, type Op } from "./arbitraries.ts";
import { counter, runSession, target } from "./session-runner.ts";

/**
 * Generated inputs (requests) each fuzz file sends at least; four files make the 10,000 of the guarantee.
 * FUZZ_INPUTS=<n> runs a longer search locally.
 */
const INPUTS_PER_FILE = Number(process.env.FUZZ_INPUTS) || 2_500;
/** Sessions played at once in one run (separate Durable Objects, so their requests overlap). */
const PARALLEL = 4;
/**
 * Runs per file: PARALLEL sessions x at least MIN_OPS operations each, so INPUTS_PER_FILE is reached whatever
 * lengths fast-check draws (it favours short arrays: sized by the mean of 45, a run of 2,463 fell short).
 */
const MIN_OPS = 30;
const RUNS = Math.ceil(INPUTS_PER_FILE / (PARALLEL * MIN_OPS));
/**
 * A failure is shrunk until then, and reported with the smallest counterexample found so far (each run
 * takes about a second, so shrinking takes minutes; FUZZ_NO_SHRINK=1 reports the first failure as found).
 */
const TIME_LIMIT_MS = 240_000 + INPUTS_PER_FILE * 20;

/**
 * Starts the Worker for this file's property: a short close grace, so a session closed with gaps finalizes
 * quickly, and the Cekura stand-in, so every finalized record is also checked against Cekura's contract.
 */
function fuzzedWorker(): void {
  let harness: Harness | undefined;
  beforeAll(async () => {
    harness = await startHarness({ vars: { CLOSE_GRACE_SECONDS: "0.05" } });
    target.url = harness.worker.url;
  });
  afterAll(() => harness?.stop());
}

async function assertSessionsSurvive(sessionOps: fc.Arbitrary<Op[]>): Promise<void> {
  const before = counter.inputs;
  const started = Date.now();
  await fc.assert(
    fc.asyncProperty(fc.array(sessionOps, { minLength: PARALLEL, maxLength: PARALLEL }), async (batch) => {
      await Promise.all(batch.map((ops) => runSession(ops)));
    }),
    {
      numRuns: RUNS,
      interruptAfterTimeLimit: TIME_LIMIT_MS,
      markInterruptAsFailure: true,
      endOnFailure: process.env.FUZZ_NO_SHRINK === "1",
    },
  );
  console.log(`fuzz: ${counter.inputs - before} generated inputs in ${Date.now() - started} ms`);
  expect(counter.inputs - before).toBeGreaterThanOrEqual(INPUTS_PER_FILE);
}

/** The time a property may take, shrinking included. */
const FUZZ_TIMEOUT_MS = TIME_LIMIT_MS + 60_000;

/**
 * 30..60 operations of one session drawn from `op` (given the id's placeholder, replaced by a fresh id at
 * run time); about one in five is sent at the same time as the one before it.
 */
function sessions(op: (id: string) => fc.Arbitrary<Op>): fc.Arbitrary<Op[]> {
  const timed = fc
    .tuple(op(SESSION_PLACEHOLDER), fc.nat(4))
    .map(([o, n]): Op => (n === 0 ? { ...o, withPrevious: true } : o));
  return fc.array(timed, { minLength: MIN_OPS, maxLength: 60 });
}

/**
 * The file's one property: `title` holds for sessions of operations drawn from `mix` (weight, operation for
 * a session id), against a Worker started for the file.
 */
export function sessionProperty(title: string, mix: [number, (id: string) => fc.Arbitrary<Op>][]): void {
  fuzzedWorker();
  it(
    title,
    async () => {
      await assertSessionsSurvive(
        sessions((id) => fc.oneof(...mix.map(([weight, op]) => ({ weight, arbitrary: op(id) })))),
      );
    },
    FUZZ_TIMEOUT_MS,
  );
}
