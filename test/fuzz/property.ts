/** One property per file: fresh sessions per run, a generated sequence of operations each, then the checks of session-runner.ts. */
import fc from "fast-check";
import { expect } from "vitest";
import type { Op } from "./arbitraries.ts";
import { counter, runSession } from "./session-runner.ts";

/** Inputs (requests) each fuzz file sends at least; four files make more than 10,000. */
export const INPUTS_PER_FILE = 2500;
/** Runs per file: 6 sessions x about 8.5 operations each, so about 2,750 inputs. */
const RUNS = 54;
/** Sessions played at once in one run (separate Durable Objects, so their I/O overlaps). */
const PARALLEL = 6;
/** A failure is shrunk until then, and reported with the smallest counterexample found so far. */
const TIME_LIMIT_MS = 240_000;

export async function assertSessionsSurvive(sessionOps: fc.Arbitrary<{ id: string; ops: Op[] }>): Promise<void> {
  const before = counter.inputs;
  const started = Date.now();
  await fc.assert(
    fc.asyncProperty(fc.array(sessionOps, { minLength: PARALLEL, maxLength: PARALLEL }), async (batch) => {
      await Promise.all(batch.map(({ id, ops }) => runSession(ops, id)));
    }),
    { numRuns: RUNS, interruptAfterTimeLimit: TIME_LIMIT_MS, markInterruptAsFailure: true },
  );
  console.log(`fuzz: ${counter.inputs - before} generated inputs in ${Date.now() - started} ms`);
  expect(counter.inputs - before).toBeGreaterThanOrEqual(INPUTS_PER_FILE);
}

/** A fresh session id and 1..16 operations drawn from `op` (which may depend on the id). */
export function sessions(op: (id: string) => fc.Arbitrary<Op>): fc.Arbitrary<{ id: string; ops: Op[] }> {
  return fc.uuid().chain((uuid) => {
    const id = `fz-${uuid}`;
    return fc.array(op(id), { minLength: 1, maxLength: 16 }).map((ops) => ({ id, ops }));
  });
}
