/**
 * Test isolation inside workerd: each test starts from empty storage and real R2. After each test, every R2
 * fault it injected is undone first (the reset goes through the real bucket), then every Durable Object is
 * evicted and storage reset. One hook, so the order cannot depend on how hooks were registered.
 */
import { abortAllDurableObjects, reset } from "cloudflare:test";
import { afterEach } from "vitest";
import { injectR2Faults, type R2FaultPlan, type R2Faults } from "./r2-faults.ts";

export interface IsolatedTests {
  /** Wraps the real bucket as `plan` says (r2-faults.ts), until the end of the test. */
  injectR2Faults(plan: R2FaultPlan): Promise<R2Faults>;
}

export function isolateEachTest(): IsolatedTests {
  let faults: R2Faults | undefined;
  afterEach(async () => {
    faults?.restore();
    faults = undefined;
    await abortAllDurableObjects();
    await reset();
  });
  return {
    async injectR2Faults(plan) {
      faults?.restore();
      faults = await injectR2Faults(plan);
      return faults;
    },
  };
}
