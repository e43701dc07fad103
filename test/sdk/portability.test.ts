/** sdk/ compiles with no Node types (so a Node global is a compile error) and imports no Node built-ins. */
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../worker/local/local-worker.ts";

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
  );
}

describe("SDK portability", () => {
  it("type-checks against web types only (sdk/tsconfig.json has types: [])", () => {
    const config = JSON.parse(readFileSync(join(REPO_ROOT, "sdk/tsconfig.json"), "utf8"));
    expect(config.compilerOptions.types).toEqual([]);
    const tsc = spawnSync(
      process.execPath,
      [join(REPO_ROOT, "node_modules/typescript/bin/tsc"), "--noEmit", "-p", "sdk/tsconfig.json"],
      { cwd: REPO_ROOT, encoding: "utf8" },
    );
    expect(tsc.stdout + tsc.stderr).toBe("");
    expect(tsc.status).toBe(0);
  }, 120_000);

  it("imports no Node built-ins and uses no Buffer, require or XMLHttpRequest", () => {
    const offenders: string[] = [];
    for (const file of tsFiles(join(REPO_ROOT, "sdk"))) {
      const source = readFileSync(file, "utf8").replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, "");
      for (const pattern of [
        /from\s+["']node:/,
        /\bimport\(\s*["']node:/,
        /\bBuffer\./,
        /\brequire\(/,
        /\bXMLHttpRequest\b/,
      ]) {
        if (pattern.test(source)) offenders.push(`${relative(REPO_ROOT, file)}: ${pattern}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});
