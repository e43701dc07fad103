import { bundleForTest } from "../support/bundle.ts";
import { parseResults, runtimeSuite } from "./harness.ts";
import { run } from "./spawn.ts";

// The SDK as built JS (esbuild ESM bundle) run by plain `node` - no TypeScript loader involved.
runtimeSuite(
  "node",
  async (base) => {
    // The web build of every dependency (the SDK is fetch-only; a dependency's node build would use node:*).
    const outfile = await bundleForTest("test/runtimes/script-entry.ts", "suite.mjs", { target: "node20" });
    const { stdout, stderr } = await run(process.execPath, [outfile, JSON.stringify(base)], 300_000);
    return parseResults(stdout, stderr, "node (built JS)");
  },
  "node, SDK as built JS",
);
