/**
 * The dependency list of docs/sdk-dependencies.md, measured side by side: for the S3 client and the OTel tracer
 * provider, what a Worker bundle costs (esbuild, browser platform, minified, gzip), how long a
 * Worker takes to answer its first request on workerd, and whether Deno runs it without --allow-env.
 * The alternatives are not project dependencies: they are installed into a temporary project
 * (npm, from its cache when it can). Run: npx tsx bench/dependency-alternatives.ts
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import { REPO_ROOT } from "../worker/local/local-worker.ts";
import { median } from "./lib/stats.ts";

const RUNS = Number(process.env.BENCH_COLD_RUNS ?? 5);
const PACKAGES = [
  "@aws-sdk/client-s3@3.1175.0",
  "@aws-sdk/s3-request-presigner@3.1169.0",
  "@opentelemetry/sdk-trace-web@2.12.0",
  "@opentelemetry/sdk-trace@2.12.1",
  "@opentelemetry/api@1.9.1",
  "aws4fetch@1.0.20",
];

/** Each probe: a Worker (S3) or a script (OTel) doing the same small job with one package. */
const PROBES: Record<string, string> = {
  "s3-aws-sdk.mjs": `import { S3Client, PutObjectCommand, GetObjectCommand } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
export default { async fetch() {
  const s3 = new S3Client({ region: "auto", endpoint: "http://127.0.0.1:9", credentials: { accessKeyId: "a", secretAccessKey: "b" }, forcePathStyle: true });
  await s3.send(new PutObjectCommand({ Bucket: "b", Key: "k", Body: "x" })).catch(() => {});
  return new Response(await getSignedUrl(s3, new GetObjectCommand({ Bucket: "b", Key: "k" }), { expiresIn: 60 }));
} };`,
  "s3-aws4fetch.mjs": `import { AwsClient } from "aws4fetch";
export default { async fetch() {
  const aws = new AwsClient({ accessKeyId: "a", secretAccessKey: "b", service: "s3", region: "auto" });
  await aws.fetch("http://127.0.0.1:9/b/k", { method: "PUT", body: "x" }).catch(() => {});
  const signed = await aws.sign(new Request("http://127.0.0.1:9/b/k?X-Amz-Expires=60"), { aws: { signQuery: true } });
  return new Response(signed.url);
} };`,
  "empty-worker.mjs": `export default { fetch() { return new Response("x"); } };`,
  "otel-sdk-trace-web.mjs": `import { WebTracerProvider } from "@opentelemetry/sdk-trace-web";
new WebTracerProvider({}).getTracer("t").startSpan("s").end();
console.log("RAN");`,
  "otel-sdk-trace.mjs": `import { TracerProvider } from "@opentelemetry/sdk-trace";
new TracerProvider({}).getTracer("t").startSpan("s").end();
console.log("RAN");`,
};

const dir = mkdtempSync(join(tmpdir(), "cekura-alternatives-"));
writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "alternatives", private: true, type: "module" }));
const install = spawnSync(
  "npm",
  ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error", ...PACKAGES],
  { cwd: dir, encoding: "utf8" },
);
if (install.status !== 0) throw new Error(`npm install failed:\n${install.stderr}`);
for (const [file, code] of Object.entries(PROBES)) writeFileSync(join(dir, file), code);

async function bundle(file: string): Promise<{ minKb: number; gzipKb: number; out: string }> {
  const out = join(dir, "out", file);
  const result = await build({
    entryPoints: [join(dir, file)],
    bundle: true,
    minify: true,
    format: "esm",
    platform: "browser",
    conditions: ["workerd", "worker", "browser"],
    outfile: out,
    write: true,
    metafile: true,
    logLevel: "silent",
    // The AWS SDK's XML builder needs DOMParser in workerd unless its CJS build is used.
    alias: { "@aws-sdk/xml-builder": join(dir, "node_modules/@aws-sdk/xml-builder/dist-cjs/index.js") },
  });
  const bytes = Object.values(result.metafile.outputs)[0]!.bytes;
  const { readFileSync } = await import("node:fs");
  return { minKb: bytes / 1024, gzipKb: gzipSync(readFileSync(out), { level: 9 }).byteLength / 1024, out };
}

/** ms from new Miniflare() to the first answer of the Worker, median of RUNS. */
async function firstAnswerMs(script: string): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    const mf = new Miniflare({
      modules: true,
      modulesRoot: dirname(script),
      scriptPath: script,
      compatibilityDate: "2026-04-20",
    });
    await (await mf.dispatchFetch("http://probe.local/")).text();
    times.push(performance.now() - t0);
    await mf.dispose();
  }
  return median(times);
}

const lines: string[] = [];
const empty = await bundle("empty-worker.mjs");
const emptyMs = await firstAnswerMs(empty.out);
for (const file of ["s3-aws-sdk.mjs", "s3-aws4fetch.mjs"]) {
  const b = await bundle(file);
  lines.push(
    `${file.padEnd(24)} ${b.minKb.toFixed(1)} KB min, ${b.gzipKb.toFixed(1)} KB gzip; workerd first answer ${(await firstAnswerMs(b.out)).toFixed(0)} ms (empty Worker ${emptyMs.toFixed(0)} ms)`,
  );
}
for (const file of ["otel-sdk-trace-web.mjs", "otel-sdk-trace.mjs"]) {
  const b = await bundle(file);
  const deno = spawnSync(join(REPO_ROOT, "node_modules/.bin/deno"), ["run", "--allow-read", file], {
    cwd: dir,
    encoding: "utf8",
    env: { ...process.env, DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" },
  });
  const verdict = deno.stdout.includes("RAN")
    ? "runs"
    : `fails: ${(deno.stderr.match(/NotCapable[^\n]*/) ?? [deno.stderr.trim().split("\n")[0]])[0]}`;
  lines.push(
    `${file.padEnd(24)} ${b.minKb.toFixed(1)} KB min, ${b.gzipKb.toFixed(1)} KB gzip; Deno without --allow-env: ${verdict}`,
  );
}
console.log(lines.join("\n"));
