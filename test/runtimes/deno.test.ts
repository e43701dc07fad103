import { join } from "node:path";
import { REPO_ROOT } from "../../worker/local/local-worker.ts";
import { parseResults, runtimeSuite } from "./harness.ts";
import { run } from "./spawn.ts";

// No --allow-env: the SDK's environment reading must survive a denied Deno.env.
runtimeSuite("deno", async (base) => {
  const deno = join(REPO_ROOT, "node_modules/.bin/deno");
  const { stdout, stderr } = await run(
    deno,
    ["run", "--allow-net=127.0.0.1", "--allow-read", "test/runtimes/script-entry.ts", JSON.stringify(base)],
    300_000,
  );
  return parseResults(stdout, stderr, "deno");
});
