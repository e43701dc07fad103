#!/usr/bin/env node
// Builds the package: ESM JavaScript with esbuild (one file per entry, shared code and the lazily
// loaded OpenTelemetry part in chunks), .d.ts files with tsc, and jsr.json's exports.
// The entries are the "exports" of package.json: adding a subpath is one line there.
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const sdk = join(dirname(fileURLToPath(import.meta.url)), "..");
const pkg = JSON.parse(readFileSync(join(sdk, "package.json"), "utf8"));

/** `{ "./livekit": { default: "./dist/adapters/livekit.js" } }` -> `{ "./livekit": "adapters/livekit" }` */
export function entriesOf(exportsMap) {
  const entries = {};
  for (const [subpath, target] of Object.entries(exportsMap)) {
    const file = typeof target === "string" ? target : target.default;
    const match = /^\.\/dist\/(.+)\.js$/.exec(file);
    if (match) entries[subpath] = match[1];
  }
  return entries;
}

const entries = entriesOf(pkg.exports);
const dist = join(sdk, "dist");
rmSync(dist, { recursive: true, force: true });

await build({
  absWorkingDir: sdk,
  entryPoints: Object.values(entries).map((name) => ({ in: `${name}.ts`, out: name })),
  outdir: "dist",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "neutral",
  target: "es2022",
  chunkNames: "chunks/[name]-[hash]",
  external: [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {})],
  logLevel: "warning",
});

const tsc = join(sdk, "..", "node_modules", ".bin", "tsc");
const types = spawnSync(tsc, ["-p", join(sdk, "tsconfig.build.json")], { stdio: "inherit" });
if (types.status !== 0) process.exit(types.status ?? 1);

// Declarations keep the sources' `.ts` specifiers; point them at the built `.js` files.
for (const file of walk(dist)) {
  if (!file.endsWith(".d.ts")) continue;
  const text = readFileSync(file, "utf8");
  const fixed = text.replace(/(from\s+|import\()(["'])(\.{1,2}\/[^"']+)\.ts\2/g, "$1$2$3.js$2");
  if (fixed !== text) writeFileSync(file, fixed);
}
// jsr.json publishes the TypeScript sources under the same subpaths.
const jsrFile = join(sdk, "jsr.json");
const jsr = JSON.parse(readFileSync(jsrFile, "utf8"));
jsr.version = pkg.version;
jsr.exports = Object.fromEntries(Object.entries(entries).map(([subpath, name]) => [subpath, `./${name}.ts`]));
writeFileSync(jsrFile, `${JSON.stringify(jsr, null, 2)}\n`);

console.log(`built ${Object.keys(entries).length} entries into ${relative(process.cwd(), dist) || "dist"}`);

function* walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* walk(path);
    else yield path;
  }
}
