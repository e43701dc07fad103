import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { REPO_ROOT } from "../../worker/local/local-worker.ts";
import { parseResults, runtimeSuite } from "./harness.ts";
import { run } from "./spawn.ts";

// The SDK as built JS (esbuild ESM bundle) run by plain `node` - no TypeScript loader involved.
runtimeSuite(
  "node",
  async (base) => {
    const outfile = join(mkdtempSync(join(tmpdir(), "cekura-node-built-")), "suite.mjs");
    await build({
      entryPoints: [join(REPO_ROOT, "test/runtimes/script-entry.ts")],
      bundle: true,
      format: "esm",
      // The web build of every dependency (the SDK is fetch-only; OTel's node build would use node:*).
      platform: "browser",
      target: "node20",
      outfile,
      logLevel: "error",
    });
    const { stdout, stderr } = await run(process.execPath, [outfile, JSON.stringify(base)], 300_000);
    return parseResults(stdout, stderr, "node (built JS)");
  },
  "node, SDK as built JS",
);
