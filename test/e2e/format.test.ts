/** The tree is formatted as biome.json says (print width 120): `npm run format` fixes what this finds. */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { expect, it } from "vitest";
import { REPO_ROOT } from "../../worker/local/local-worker.ts";

it("has every source file formatted (npm run format:check)", () => {
  const run = spawnSync(join(REPO_ROOT, "node_modules/.bin/biome"), ["format", "--max-diagnostics=20", "."], {
    cwd: REPO_ROOT,
    encoding: "utf8",
  });
  expect(`${run.stdout}${run.stderr}`.slice(-6000), "run `npm run format` to fix").not.toMatch(
    /Formatter would have printed|× /,
  );
  expect(run.status).toBe(0);
});
