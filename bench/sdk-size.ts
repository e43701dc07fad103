/**
 * The SDK package as its users get it: sizes of the built entry and subpaths as a Worker bundles
 * them (esbuild, browser platform, minified, gzip), and the import (cold start) time of the entry in
 * Node, Deno and Bun, each beside importing @opentelemetry/api alone. Run: npx tsx bench/sdk-size.ts
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";
import { build, type Plugin } from "esbuild";
import { Miniflare } from "miniflare";
import { REPO_ROOT } from "../worker/local/local-worker.ts";
import { median, ratio } from "./lib/stats.ts";
import type { Row } from "./lib/table.ts";

const SDK = join(REPO_ROOT, "sdk");
const DIST = join(SDK, "dist");
const bin = (name: string) => join(REPO_ROOT, "node_modules/.bin", name);
const COLD_RUNS = Number(process.env.BENCH_COLD_RUNS ?? 7);
const ENTRY_BUDGET_KB = 20;
const INSTALLED_BUDGET_MB = 5;
const WITH_TRACES_BUDGET_KB = 40;

/** Leaves the lazily imported OpenTelemetry chunk out of the bundle (what loads with traces off). */
const withoutLazyTraces: Plugin = {
  name: "without-lazy-traces",
  setup(b) {
    b.onResolve({ filter: /chunks\/addon-/ }, (args) =>
      args.kind === "dynamic-import" ? { path: args.path, external: true } : undefined,
    );
  },
};

/** min+gzip bytes of `entry` bundled for a Worker (peer frameworks external: the user's app has them). */
async function workerBytes(
  entry: string,
  plugins: Plugin[] = [],
  external: string[] = [],
): Promise<{ min: number; gzip: number }> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    format: "esm",
    platform: "browser",
    write: false,
    plugins,
    external,
    logLevel: "silent",
  });
  const code = result.outputFiles[0]!.contents;
  return { min: code.byteLength, gzip: gzipSync(code, { level: 9 }).byteLength };
}

/** Milliseconds to `import()` each module (a path or a bare name) in a fresh process of `runtime`, median of COLD_RUNS. */
function importMs(runtime: "node" | "deno" | "bun", modules: string[]): number {
  // Inside node_modules, so a bare specifier resolves as it would in a user's project.
  const dir = join(REPO_ROOT, "node_modules/.cache/cekura-bench");
  mkdirSync(dir, { recursive: true });
  const probe = join(dir, "import-probe.mjs");
  writeFileSync(
    probe,
    `const urls = JSON.parse(globalThis.Deno ? Deno.args[0] : process.argv[2]);
const t0 = performance.now();
for (const url of urls) await import(url);
console.log("IMPORT_MS " + (performance.now() - t0));\n`,
  );
  const urls = JSON.stringify(modules.map((m) => (m.startsWith("/") ? pathToFileURL(m).href : m)));
  const [command, args] =
    runtime === "node"
      ? [process.execPath, [probe, urls]]
      : runtime === "deno"
        ? [bin("deno"), ["run", "--allow-read", probe, urls]]
        : [bin("bun"), [probe, urls]];
  const times: number[] = [];
  for (let i = 0; i < COLD_RUNS; i++) {
    const run = spawnSync(command, args, {
      encoding: "utf8",
      env: { ...process.env, DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" },
    });
    const line = run.stdout.split("\n").find((l) => l.startsWith("IMPORT_MS "));
    if (!line) throw new Error(`${runtime} import probe failed: ${run.stdout}${run.stderr}`);
    times.push(Number(line.slice("IMPORT_MS ".length)));
  }
  return median(times);
}

/**
 * workerd cannot time an import from inside (its clock stands still while code runs), so there the
 * figure is ms from new Miniflare() to the first answer of a Worker that bundles the module: the whole
 * start-up, module evaluation included. The Workers are started in turn, so both see the same machine.
 */
async function workerdFirstAnswerMs(modules: string[]): Promise<number[]> {
  const dir = join(REPO_ROOT, "node_modules/.cache/cekura-bench");
  mkdirSync(dir, { recursive: true });
  const bundles: string[] = [];
  for (const [i, module] of modules.entries()) {
    const source = join(dir, `worker-probe-${i}.mjs`);
    writeFileSync(
      source,
      `import * as m from ${JSON.stringify(module)};\nexport default { fetch() { return new Response(String(Object.keys(m).length)); } };\n`,
    );
    const outfile = join(dir, `worker-probe-${i}.bundle.mjs`);
    await build({
      entryPoints: [source],
      bundle: true,
      minify: true,
      format: "esm",
      platform: "browser",
      conditions: ["workerd", "worker", "browser"],
      outfile,
      logLevel: "silent",
    });
    bundles.push(outfile);
  }
  const times: number[][] = modules.map(() => []);
  for (let run = 0; run <= COLD_RUNS; run++) {
    for (const [i, scriptPath] of bundles.entries()) {
      const t0 = performance.now();
      const mf = new Miniflare({ modules: true, modulesRoot: dir, scriptPath, compatibilityDate: "2026-04-20" });
      await (await mf.dispatchFetch("http://probe.local/")).text();
      // The first round warms workerd's binary into the page cache for everyone.
      if (run > 0) times[i]!.push(performance.now() - t0);
      await mf.dispose();
    }
  }
  return times.map(median);
}

export interface SdkSizeResult {
  entry: { min: number; gzip: number };
  withTraces: { min: number; gzip: number };
  subpaths: Record<string, { min: number; gzip: number }>;
  otelApiAlone: { min: number; gzip: number };
  importMs: Record<string, { entry: number; entryWithTraces: number; otelApi: number }>;
  /** Bytes under node_modules of a fresh project after `npm install` of the packed SDK (peers optional, not installed). */
  installedBytes: number;
  /** The packed tarball's bytes. */
  tarballBytes: number;
}

/** Bytes of every file under `dir` (what `du -b` sums; symlinks not followed). */
function bytesUnder(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true }))
    if (entry.isFile()) total += statSync(join(entry.parentPath, entry.name)).size;
  return total;
}

/** `npm pack` of sdk/ installed into a fresh temp project: what a user's node_modules grows by. */
function installWeight(): { installedBytes: number; tarballBytes: number } {
  const dir = mkdtempSync(join(tmpdir(), "cekura-install-weight-"));
  const pack = spawnSync("npm", ["pack", "--pack-destination", dir, "--silent"], { cwd: SDK, encoding: "utf8" });
  if (pack.status !== 0) throw new Error(`npm pack failed:\n${pack.stdout}${pack.stderr}`);
  const tarball = join(dir, pack.stdout.trim().split("\n").at(-1)!);
  const project = join(dir, "project");
  mkdirSync(project);
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "weight", private: true, type: "module" }));
  const install = spawnSync("npm", ["install", tarball, "--prefer-offline", "--no-audit", "--no-fund"], {
    cwd: project,
    encoding: "utf8",
  });
  if (install.status !== 0) throw new Error(`npm install failed:\n${install.stdout}${install.stderr}`);
  const result = { installedBytes: bytesUnder(join(project, "node_modules")), tarballBytes: statSync(tarball).size };
  rmSync(dir, { recursive: true, force: true });
  return result;
}

export async function runSdkSize(runtimes: readonly string[] = ["node", "deno", "bun"]): Promise<SdkSizeResult> {
  const built = spawnSync(process.execPath, [join(SDK, "scripts/build.mjs")], { encoding: "utf8" });
  if (built.status !== 0) throw new Error(`building the SDK failed:\n${built.stdout}${built.stderr}`);
  const pkg = JSON.parse(readFileSync(join(SDK, "package.json"), "utf8")) as {
    exports: Record<string, string | { default: string }>;
    peerDependencies: Record<string, string>;
  };
  const peers = Object.keys(pkg.peerDependencies);
  const entry = join(DIST, "index.js");
  const tracesChunk = join(DIST, "chunks", readdirSync(join(DIST, "chunks")).find((f) => f.startsWith("addon-"))!);
  const otelApi = join(REPO_ROOT, "node_modules/@opentelemetry/api/build/esm/index.js");

  const subpaths: Record<string, { min: number; gzip: number }> = {};
  for (const [subpath, target] of Object.entries(pkg.exports)) {
    const file = typeof target === "string" ? target : target.default;
    if (subpath === "." || !file.endsWith(".js")) continue;
    subpaths[subpath] = await workerBytes(join(SDK, file), [withoutLazyTraces], peers);
  }
  const importTimes: SdkSizeResult["importMs"] = {};
  for (const runtime of runtimes as ("node" | "deno" | "bun")[]) {
    importTimes[runtime] = {
      entry: importMs(runtime, [entry]),
      entryWithTraces: importMs(runtime, [entry, tracesChunk]),
      otelApi: importMs(runtime, ["@opentelemetry/api"]),
    };
  }
  // One bundle, as wrangler makes it: the lazy OTel chunk is in it either way.
  const [workerdEntry, workerdOtelApi] = await workerdFirstAnswerMs([entry, "@opentelemetry/api"]);
  importTimes.workerd = { entry: workerdEntry!, entryWithTraces: workerdEntry!, otelApi: workerdOtelApi! };
  return {
    entry: await workerBytes(entry, [withoutLazyTraces]),
    withTraces: await workerBytes(entry),
    subpaths,
    otelApiAlone: await workerBytes(otelApi),
    importMs: importTimes,
    ...installWeight(),
  };
}

const kb = (bytes: number) => bytes / 1024;

export function sdkSizeRows(r: SdkSizeResult): Row[] {
  const base = { label: "@opentelemetry/api alone", value: kb(r.otelApiAlone.gzip) };
  const bundle = (figure: string, size: { min: number; gzip: number }, budgetKb: number, note: string): Row => ({
    section: "sdk package",
    figure,
    value: kb(size.gzip),
    unit: "KB min+gzip",
    baseline: base,
    ratio: ratio(size.gzip, r.otelApiAlone.gzip),
    target: `<= ${budgetKb} KB`,
    met: kb(size.gzip) <= budgetKb,
    note: `${Math.round(kb(size.min))} KB minified; ${note}`,
  });
  const rows: Row[] = [
    bundle("entry, Worker bundle (traces off)", r.entry, ENTRY_BUDGET_KB, "OpenTelemetry is a lazy chunk"),
    bundle(
      "entry + lazy OTel chunk (traces on)",
      r.withTraces,
      WITH_TRACES_BUDGET_KB,
      "one file, as wrangler bundles it",
    ),
  ];
  rows.push({
    section: "sdk package",
    figure: "installed size (npm pack, npm install in a fresh project)",
    value: r.installedBytes / 1024 / 1024,
    unit: "MB in node_modules",
    baseline: { label: "before: 4 OpenTelemetry dependencies (issue 28)", value: 26 },
    target: `<= ${INSTALLED_BUDGET_MB} MB`,
    met: r.installedBytes <= INSTALLED_BUDGET_MB * 1024 * 1024,
    note: `tarball ${Math.round(kb(r.tarballBytes))} KB; no dependencies (docs/sdk-dependencies.md)`,
  });
  for (const [subpath, size] of Object.entries(r.subpaths)) {
    rows.push({
      section: "sdk package",
      figure: `cekura-edge-tracer${subpath.slice(1)}`,
      value: kb(size.gzip),
      unit: "KB min+gzip",
      baseline: base,
      ratio: ratio(size.gzip, r.otelApiAlone.gzip),
      note: "framework peers external",
    });
  }
  for (const [runtime, t] of Object.entries(r.importMs)) {
    if (runtime === "workerd") {
      rows.push({
        section: "sdk package",
        figure: "Worker start to first answer, workerd",
        value: t.entry,
        unit: "ms",
        baseline: { label: "Worker with @opentelemetry/api", value: t.otelApi },
        ratio: ratio(t.entry, t.otelApi),
        note: `Miniflare start incl. module evaluation, median of ${COLD_RUNS}`,
      });
      continue;
    }
    const baseline = { label: "import @opentelemetry/api", value: t.otelApi };
    rows.push({
      section: "sdk package",
      figure: `import entry, ${runtime} (cold)`,
      value: t.entry,
      unit: "ms",
      baseline,
      ratio: ratio(t.entry, t.otelApi),
      note: `median of ${COLD_RUNS} fresh processes`,
    });
    rows.push({
      section: "sdk package",
      figure: `import entry + OTel chunk, ${runtime} (cold)`,
      value: t.entryWithTraces,
      unit: "ms",
      baseline,
      ratio: ratio(t.entryWithTraces, t.otelApi),
      note: "what enableOtelTraces: true loads",
    });
  }
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const { renderTable } = await import("./lib/table.ts");
  const result = await runSdkSize();
  console.log(renderTable(sdkSizeRows(result)));
  console.log(`BENCH_JSON ${JSON.stringify(result)}`);
}
