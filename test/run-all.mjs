#!/usr/bin/env node
// Runs every test (vitest: workerd project + node project, which drives Deno, Bun and workerd too)
// and closes with the plain line "N passed, N failed" computed from vitest's JSON results.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outDir = join(root, "test-output");
mkdirSync(outDir, { recursive: true });
const resultsFile = join(outDir, "vitest-results.json");
rmSync(resultsFile, { force: true });

const env = {
  ...process.env,
  WRANGLER_SEND_METRICS: "false",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  DENO_NO_UPDATE_CHECK: "1",
  DENO_NO_PROMPT: "1",
};
const extra = process.argv.slice(2);
const run = spawnSync(
  process.execPath,
  [
    join(root, "node_modules/vitest/vitest.mjs"),
    "run",
    "--config",
    "test/vitest.config.ts",
    "--reporter=default",
    "--reporter=json",
    `--outputFile.json=${resultsFile}`,
    ...extra,
  ],
  { cwd: root, env, stdio: "inherit" },
);

let passed = 0;
let failed = 0;
let skipped = 0;
if (existsSync(resultsFile)) {
  const results = JSON.parse(readFileSync(resultsFile, "utf8"));
  passed = results.numPassedTests ?? 0;
  failed = (results.numFailedTests ?? 0) + (results.numRuntimeErrorTestSuites ?? 0);
  skipped = (results.numPendingTests ?? 0) + (results.numTodoTests ?? 0);
  for (const suite of results.testResults ?? []) {
    // A file that failed to load has no test results; count it as a failure.
    if (suite.status === "failed" && (suite.assertionResults ?? []).length === 0) failed++;
  }
} else {
  failed = 1;
  console.error("vitest wrote no results file; counting the run as failed");
}
if (run.status !== 0 && failed === 0) failed = 1;
console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
process.exit(failed > 0 || run.status !== 0 ? 1 : 0);
