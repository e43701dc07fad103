/** One property per file: fresh sessions per run, a generated sequence of operations each, then the checks of session-runner.ts. */
import fc from "fast-check";
import { expect } from "vitest";
import { SESSION_PLACEHOLDER, type Op } from "./arbitraries.ts";
import { counter, runSession } from "./session-runner.ts";

/**
 * Inputs (requests) each fuzz file sends at least in `npm test`. More runs per file hang inside
 * vitest-pool-workers after about 20 sessions (an open finding, see README "Tests"), so CI keeps to 3.
 */
export const INPUTS_PER_FILE = 150;
/** Runs per file: 2 sessions x about 45 operations each. */
const RUNS = 3;
/**
 * Sessions played at once in one run (separate Durable Objects, so their I/O overlaps). Few sessions with
 * many operations each: in vitest-pool-workers each new Durable Object costs more than the one before
 * (measured: creating 80 fresh session objects took 2.5 s at first and 19 s after 560), so the inputs go
 * into fewer sessions.
 */
const PARALLEL = 2;
/** A failure is shrunk until then, and reported with the smallest counterexample found so far. */
const TIME_LIMIT_MS = 90_000;

export async function assertSessionsSurvive(sessionOps: fc.Arbitrary<Op[]>): Promise<void> {
  const before = counter.inputs;
  const started = Date.now();
  await fc.assert(
    fc.asyncProperty(fc.array(sessionOps, { minLength: PARALLEL, maxLength: PARALLEL }), async (batch) => {
      await Promise.all(batch.map((ops) => runSession(ops)));
    }),
    { numRuns: RUNS, interruptAfterTimeLimit: TIME_LIMIT_MS, markInterruptAsFailure: true },
  );
  console.log(`fuzz: ${counter.inputs - before} generated inputs in ${Date.now() - started} ms`);
  expect(counter.inputs - before).toBeGreaterThanOrEqual(INPUTS_PER_FILE);
}

/** 30..60 operations of one session drawn from `op` (given the id's placeholder, replaced by a fresh id at run time). */
export function sessions(op: (id: string) => fc.Arbitrary<Op>): fc.Arbitrary<Op[]> {
  return fc.array(op(SESSION_PLACEHOLDER), { minLength: 30, maxLength: 60 });
}
