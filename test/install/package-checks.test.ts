/**
 * The package passes the ecosystem's checks: publint, arethetypeswrong (an ESM-only package),
 * `deno publish --dry-run`, and the size budgets in .size-limit.js.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../worker/local/local-worker.ts";
import { BIN, packSdk, sh, SDK_DIR, withLock } from "./support.ts";

describe("the SDK package", () => {
  it("has no problems that publint reports", async () => {
    const tarball = await packSdk();
    const dir = mkdtempSync(join(tmpdir(), "cekura-publint-"));
    sh("tar", ["-xzf", tarball, "-C", dir], dir);
    const output = sh(BIN("publint"), ["--strict", join(dir, "package")], dir);
    expect(output).toContain("All good!");
  });

  it("has types that resolve in every ESM resolution mode (arethetypeswrong)", async () => {
    const tarball = await packSdk();
    // esm-only: the package has no CommonJS build, so node10 and require() resolutions are not checked.
    const output = sh(BIN("attw"), [tarball, "--profile", "esm-only", "--format", "json"], REPO_ROOT);
    const { analysis } = JSON.parse(output.slice(output.indexOf("{"))) as {
      analysis: { problems: { kind: string; entrypoint: string; resolutionKind?: string }[]; entrypoints: object };
    };
    const exportsMap = (JSON.parse(readFileSync(join(SDK_DIR, "package.json"), "utf8")) as { exports: object }).exports;
    expect(Object.keys(analysis.entrypoints).sort()).toEqual(Object.keys(exportsMap).sort());
    const ignored = new Set(["node10", "node16-cjs"]);
    expect(analysis.problems.filter((p) => !ignored.has(p.resolutionKind ?? ""))).toEqual([]);
  });

  it("passes deno publish --dry-run for JSR", () => {
    const output = sh(BIN("deno"), ["publish", "--dry-run", "--allow-dirty"], SDK_DIR);
    expect(output).toContain("Dry run complete");
  });

  it("stays within its size budgets, as a Worker bundles it", async () => {
    const checks = await withLock("cekura-sdk-build", () => {
      sh(process.execPath, [join(SDK_DIR, "scripts/build.mjs")], SDK_DIR);
      const result = JSON.parse(sh(BIN("size-limit"), ["--json"], REPO_ROOT).replace(/^[^[]*/, "")) as {
        name: string;
        passed: boolean;
        size: number;
      }[];
      return result;
    });
    expect(checks.length).toBe(2);
    for (const check of checks) expect(check.passed, `${check.name}: ${check.size} bytes`).toBe(true);
  });
});
