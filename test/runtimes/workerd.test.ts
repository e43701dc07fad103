import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import { REPO_ROOT } from "../../worker/local/local-worker.ts";
import { allCases, type CaseResult } from "../sdk/cases/index.ts";
import { runtimeSuite } from "./harness.ts";

// The SDK bundled by esbuild for workerd (browser platform, workerd conditions), run by Miniflare.
runtimeSuite("workerd", async (base) => {
  const outdir = mkdtempSync(join(tmpdir(), "cekura-workerd-suite-"));
  const scriptPath = join(outdir, "suite.mjs");
  await build({
    entryPoints: [join(REPO_ROOT, "test/runtimes/workerd-entry.ts")],
    bundle: true,
    format: "esm",
    platform: "browser",
    conditions: ["workerd", "worker", "browser"],
    target: "es2022",
    outfile: scriptPath,
    logLevel: "error",
  });
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
