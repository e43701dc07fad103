import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { describe, it } from "vitest";
import { REPO_ROOT } from "../../worker/local/local-worker.ts";

// Every tsconfig in the repo type-checks strictly (the Worker with workers types, the SDK with web types only,
// the Node-side tests, tools and benches with Node types, the adapters with their frameworks' types).
const CONFIGS = [
  "tsconfig.json",
  "sdk/tsconfig.json",
  "test/tsconfig.json",
  "test/adapters/tsconfig.json",
  "bench/tsconfig.json",
];

describe("type-check", () => {
  for (const config of CONFIGS) {
    it(`${config} has no type errors`, () => {
      try {
        execFileSync(process.execPath, [join(REPO_ROOT, "node_modules/typescript/bin/tsc"), "--noEmit", "-p", config], {
          cwd: REPO_ROOT,
          stdio: "pipe",
        });
      } catch (error) {
        const out = error as { stdout?: Buffer; stderr?: Buffer };
        throw new Error(`tsc -p ${config} failed:\n${out.stdout?.toString() ?? ""}${out.stderr?.toString() ?? ""}`);
      }
    }, 120_000);
  }
});
