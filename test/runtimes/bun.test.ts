import { join } from "node:path";
import { REPO_ROOT } from "../../worker/local/local-worker.ts";
import { parseResults, runtimeSuite } from "./harness.ts";
import { run } from "./spawn.ts";

runtimeSuite("bun", async (base) => {
  const bun = join(REPO_ROOT, "node_modules/.bin/bun");
  const { stdout, stderr } = await run(bun, ["test/runtimes/script-entry.ts", JSON.stringify(base)], 300_000);
  return parseResults(stdout, stderr, "bun");
});
