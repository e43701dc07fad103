import { dirname } from "node:path";
import { Miniflare } from "miniflare";
import { allCases, type CaseResult } from "../sdk/cases/index.ts";
import { bundleForTest } from "../support/bundle.ts";
import { runtimeSuite } from "./harness.ts";

// The SDK bundled by esbuild for workerd (browser platform, workerd conditions), run by Miniflare.
runtimeSuite("workerd", async (base) => {
  const scriptPath = await bundleForTest("test/runtimes/workerd-entry.ts", "suite.mjs");
  const outdir = dirname(scriptPath);
  const mf = new Miniflare({ modules: true, modulesRoot: outdir, scriptPath, compatibilityDate: "2026-04-20" });
  try {
    const results: CaseResult[] = [];
    for (const c of allCases) {
      const response = await mf.dispatchFetch("http://suite.local/run", {
        method: "POST",
        body: JSON.stringify({ base, only: c.name }),
      });
      const text = await response.text();
      if (!response.ok)
        results.push({ name: c.name, ok: false, error: `workerd answered ${response.status}: ${text}`, ms: 0 });
      else results.push(...(JSON.parse(text) as CaseResult[]));
    }
    return results;
  } finally {
    await mf.dispose();
  }
});
