/**
 * Storage faults for workerd tests. The Durable Objects run in the test's isolate, so wrapping the R2
 * binding's prototype methods makes the real bucket fail (or wait) exactly where a test says, for the
 * Worker and its objects alike: the fault sits at the platform boundary, not in our code.
 */
import { env } from "cloudflare:test";

type Operation = "put" | "uploadPart" | "complete" | "head" | "get";

export interface R2Faults {
  /** Calls seen per operation (including failed ones). */
  calls: Record<Operation, number>;
  /** Part numbers passed to uploadPart, in order (failed ones too). */
  partNumbers: number[];
  /** Undoes every wrapper. */
  restore(): void;
}

export interface R2FaultPlan {
  /** Fail the next N calls of each operation with an Error naming it. */
  fail?: Partial<Record<Operation, number>>;
  /** Only fault calls whose key starts with this (default: every key). */
  keyPrefix?: string;
  /**
   * Delay `put` calls of matching keys by this many ms (a slow store). A timer, not a promise the test
   * resolves: workerd does not wake a request on a promise resolved from another request's context.
   */
  delayPutMs?: number;
}

/** Waits until `condition()` holds (polling shared counters such as `calls`). */
export async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not reached in time");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export async function injectR2Faults(plan: R2FaultPlan): Promise<R2Faults> {
  const bucket = env.RECORDINGS;
  const bucketProto = Object.getPrototypeOf(bucket) as Record<string, (...args: unknown[]) => Promise<unknown>>;
  const probe = await bucket.createMultipartUpload("faults/probe");
  const uploadProto = Object.getPrototypeOf(probe) as Record<string, (...args: unknown[]) => Promise<unknown>>;
  await probe.abort();

  const remaining: Partial<Record<Operation, number>> = { ...plan.fail };
  const calls: Record<Operation, number> = { put: 0, uploadPart: 0, complete: 0, head: 0, get: 0 };
  const partNumbers: number[] = [];
  const originals: [Record<string, unknown>, string, unknown][] = [];
  const matches = (key: unknown) => plan.keyPrefix === undefined || String(key).startsWith(plan.keyPrefix);

  function wrap(
    proto: Record<string, (...args: unknown[]) => Promise<unknown>>,
    name: string,
    op: Operation,
    keyOf: (self: any, args: unknown[]) => unknown,
  ) {
    const original = proto[name]!;
    originals.push([proto, name, original]);
    proto[name] = async function (this: unknown, ...args: unknown[]) {
      if (!matches(keyOf(this, args))) return original.apply(this, args);
      calls[op]++;
      if (op === "uploadPart") partNumbers.push(args[0] as number);
      if ((remaining[op] ?? 0) > 0) {
        remaining[op]!--;
        throw new Error(`injected R2 fault: ${op} failed`);
      }
      if (op === "put" && plan.delayPutMs) await new Promise((resolve) => setTimeout(resolve, plan.delayPutMs));
      return original.apply(this, args);
    };
  }
  wrap(bucketProto, "put", "put", (_self, args) => args[0]);
  wrap(bucketProto, "head", "head", (_self, args) => args[0]);
  wrap(bucketProto, "get", "get", (_self, args) => args[0]);
  wrap(uploadProto, "uploadPart", "uploadPart", (self) => self.key);
  wrap(uploadProto, "complete", "complete", (self) => self.key);

  return {
    calls,
    partNumbers,
    restore() {
      for (const [proto, name, original] of originals.reverse()) proto[name] = original;
    },
  };
}
