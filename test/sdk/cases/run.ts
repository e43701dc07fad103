/** Runs the shared cases one after another and returns a result per case (never throws). */
import { allCases } from "./index.ts";
import type { CaseContext, CaseResult, Runtime } from "./types.ts";

export async function runCases(base: Omit<CaseContext, "uid">, only?: string): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  for (const c of allCases) {
    if (only !== undefined && c.name !== only) continue;
    if (c.skip?.includes(base.runtime as Runtime)) continue;
    const started = performance.now();
    try {
      await c.run({ ...base, uid: crypto.randomUUID().slice(0, 8) });
      results.push({ name: c.name, ok: true, ms: Math.round(performance.now() - started) });
    } catch (error) {
      const text = error instanceof Error ? `${error.name}: ${error.message}\n${error.stack ?? ""}` : String(error);
      results.push({ name: c.name, ok: false, error: text, ms: Math.round(performance.now() - started) });
    }
  }
  return results;
}
