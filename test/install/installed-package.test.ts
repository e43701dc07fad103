/**
 * The packed SDK, installed from its tarball into fresh projects, makes a real call against the local
 * Worker from plain node, Deno (node_modules and the JSR layout), Bun, and a wrangler-built Worker on
 * workerd; each also imports the four adapters from their subpaths.
 */
import { cpSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT, startLocalWorker, type LocalWorker } from "../../worker/local/local-worker.ts";
import { BIN, freshProject, jsrFiles, packSdk, parseCall, recordOf, sh, SDK_DIR, type CallOutcome } from "./support.ts";

/** Bytes of every file under `dir` (what `du -b` sums; symlinks not followed). */
function installedBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += statSync(join(entry.parentPath, entry.name)).size;
  }
  return total;
}

const ADAPTERS = {
  "event-stream": "function",
  "openai-realtime": "function",
  "ai-sdk": "function",
  twilio: "function",
};
/** Where the LiveKit peer is installed (Node), its adapter loads too. */
const WITH_LIVEKIT = { ...ADAPTERS, livekit: "function" };

describe("the SDK installed from its packed tarball", () => {
  let worker: LocalWorker;
  let project: string;
  let tarball: string;
  const apiKey = `install-${crypto.randomUUID()}`;

  beforeAll(async () => {
    tarball = await packSdk();
    worker = await startLocalWorker();
    project = freshProject(tarball, "runtimes");
  }, 600_000);

  afterAll(async () => {
    await worker?.stop();
  });

  const settings = (runtime: string, withLiveKit = false) => ({
    ingestUrl: worker.url,
    apiKey,
    sessionId: `install-${runtime}-${crypto.randomUUID()}`,
    runtime,
    withLiveKit,
  });

  async function expectCall(outcome: CallOutcome, call: ReturnType<typeof settings>): Promise<void> {
    expect(outcome.state).toBe("finalized");
    expect(outcome.adapters).toEqual(call.withLiveKit ? WITH_LIVEKIT : ADAPTERS);
    expect(outcome.warnings).toEqual([]);
    expect(outcome.stats.recorded.transcripts).toBe(2);
    expect(outcome.stats.sent.events).toBeGreaterThanOrEqual(3);
    expect(outcome.stats.dropped.events).toBe(0);
    const record = await recordOf(call.ingestUrl, call.apiKey, call.sessionId);
    expect(record.transcript.map((t) => t.text)).toEqual([`hello from ${call.runtime}`, `hi, ${call.runtime}`]);
    expect(record.metadata).toEqual({ runtime: call.runtime });
  }

  /** Runs call.mjs with `command` in `dir` and checks the call it reports and the record the Worker keeps. */
  async function runsCall(command: string, args: string[], call: ReturnType<typeof settings>, dir = project) {
    await expectCall(parseCall(sh(command, [...args, "call.mjs", JSON.stringify(call)], dir)), call);
  }
  const DENO_RUN = ["run", "--allow-net=127.0.0.1", "--allow-read"];

  it("holds only the built package, and installs none of the Worker's dependencies", () => {
    const files = sh("tar", ["-tzf", tarball], project).trim().split("\n");
    expect(
      files.filter(
        (f) =>
          !f.startsWith("package/dist/") &&
          !["package/package.json", "package/README.md", "package/LICENSE"].includes(f),
      ),
    ).toEqual([]);
    expect(files).toContain("package/LICENSE"); // package.json says MIT; the text travels with the code
    expect(files).toContain("package/dist/index.js");
    expect(files).toContain("package/dist/index.d.ts");
    const installed = join(project, "node_modules");
    for (const name of ["hono", "zod", "aws4fetch", "wrangler", "miniflare"])
      expect(readdirSync(installed)).not.toContain(name);
    const pkg = JSON.parse(readFileSync(join(installed, "cekura-edge-tracer/package.json"), "utf8")) as {
      dependencies?: Record<string, string>;
    };
    // Spans are recorded and serialized by the SDK itself (docs/sdk-dependencies.md): nothing else installs.
    expect(pkg.dependencies ?? {}).toEqual({});
    expect(readdirSync(installed).filter((name) => !name.startsWith("."))).toEqual(["cekura-edge-tracer"]);
    expect(installedBytes(installed)).toBeLessThanOrEqual(5 * 1024 * 1024);
    const top = readdirSync(join(installed, "cekura-edge-tracer")).sort();
    expect(top).toEqual(["LICENSE", "README.md", "dist", "package.json"]);
  });

  it("type-checks a TypeScript user under NodeNext resolution, with the public types only", () => {
    sh(BIN("tsc"), ["-p", "tsconfig.consumer.json"], project);
  });

  it("runs a call from plain node, with no TypeScript loader (and the LiveKit adapter beside its installed peer)", async () => {
    // The user's project has LiveKit Agents installed: link this repository's copy rather than install 290 MB.
    const peerDir = join(project, "node_modules/@livekit");
    mkdirSync(peerDir, { recursive: true });
    symlinkSync(join(REPO_ROOT, "node_modules/@livekit/agents"), join(peerDir, "agents"));
    await runsCall(process.execPath, [], settings("node", true));
  });

  it("never loads OpenTelemetry in a call with enableOtelTraces: false, nor with traces on", async () => {
    const off = settings("node-traces-off");
    const outcome = JSON.parse(
      sh(process.execPath, ["traces-off.mjs", JSON.stringify(off)], project).split("@@CALL ")[1]!,
    ) as { state: string; otelModules: number };
    expect(outcome).toEqual({ state: "finalized", otelModules: 0 });
    // Traces on: the SDK's own span recorder loads, and still no OpenTelemetry module (there is none to load).
    const on = sh(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        `import { createRequire } from "node:module"; import { CekuraTracer } from "cekura-edge-tracer";
new CekuraTracer({ apiKey: "k", agentId: 1, ingestUrl: "http://127.0.0.1:9" });
await new Promise((r) => setTimeout(r, 1000));
console.log("OTEL " + Object.keys(createRequire(import.meta.url).cache).filter((p) => p.includes("@opentelemetry")).length);`,
      ],
      project,
    );
    expect(Number(/OTEL (\d+)/.exec(on)?.[1])).toBe(0);
  });

  it("runs a call from Deno, resolving the package through node_modules", async () => {
    await runsCall(BIN("deno"), DENO_RUN, settings("deno"));
  });

  it("runs a call from Deno, importing the TypeScript sources as JSR publishes them", async () => {
    const app = join(project, "jsr-app");
    const vendored = join(app, "vendor/cekura-edge-tracer");
    for (const file of jsrFiles()) {
      mkdirSync(dirname(join(vendored, file)), { recursive: true });
      cpSync(join(SDK_DIR, file), join(vendored, file));
    }
    const jsr = JSON.parse(readFileSync(join(vendored, "jsr.json"), "utf8")) as { exports: Record<string, string> };
    const imports = Object.fromEntries(
      Object.entries(jsr.exports).map(([subpath, target]) => [
        `cekura-edge-tracer${subpath.slice(1)}`,
        `./vendor/cekura-edge-tracer/${target.slice(2)}`,
      ]),
    );
    // As JSR serves the package: its bare imports become npm: specifiers of its package.json
    // dependencies, here taken from the project's node_modules (offline).
    const deps = (
      JSON.parse(readFileSync(join(vendored, "package.json"), "utf8")) as { dependencies?: Record<string, string> }
    ).dependencies;
    for (const [name, range] of Object.entries(deps ?? {})) imports[name] = `npm:${name}@${range}`;
    writeFileSync(join(app, "deno.json"), JSON.stringify({ imports, nodeModulesDir: "manual" }, null, 2));
    symlinkSync(join(project, "node_modules"), join(app, "node_modules"));
    for (const file of ["call.mjs", "agent-call.mjs"]) cpSync(join(project, file), join(app, file));
    await runsCall(BIN("deno"), DENO_RUN, settings("deno-jsr"), app);
  });

  it("runs a call from Bun", async () => {
    await runsCall(BIN("bun"), [], settings("bun"));
  });

  it("runs a call from a Worker project bundled by wrangler, on workerd", async () => {
    const app = join(project, "worker-app");
    mkdirSync(app, { recursive: true });
    for (const file of ["worker.mjs", "agent-call.mjs"]) cpSync(join(project, file), join(app, file));
    writeFileSync(
      join(app, "wrangler.toml"),
      'name = "install-test"\nmain = "worker.mjs"\ncompatibility_date = "2026-04-20"\n',
    );
    sh(BIN("wrangler"), ["deploy", "--dry-run", "--outdir", "out"], app);
    const mf = new Miniflare({
      modules: true,
      modulesRoot: join(app, "out"),
      scriptPath: join(app, "out/worker.js"),
      compatibilityDate: "2026-04-20",
    });
    try {
      const call = settings("workerd");
      const response = await mf.dispatchFetch("http://consumer.local/", { method: "POST", body: JSON.stringify(call) });
      const text = await response.text();
      expect(response.status, text).toBe(200);
      await expectCall(JSON.parse(text) as CallOutcome, call);
    } finally {
      await mf.dispose();
    }
  });
});
