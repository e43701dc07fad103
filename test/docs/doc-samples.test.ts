import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../worker/local/local-worker.ts";
import { type CodeSample, samplesIn } from "./extract-samples.ts";

// Every TypeScript block in README.md, sdk/README.md and docs/ is type-checked against the SDK's real
// types: a sample that drifts from the API fails here. One tsc run for all of them.
const OUT = join(REPO_ROOT, "test-output/doc-samples");

/** A block with a known type error: proves that an error in a sample is found and traced to its line. */
const CANARY: CodeSample = {
  file: "(canary)",
  line: 1,
  code: 'import { CekuraTracer } from "cekura-edge-tracer";\nconst t = new CekuraTracer({ apiKey: 1 });',
  runtime: "node",
};

interface SampleError {
  sample: CodeSample;
  line: number;
  message: string;
}

const RUNTIMES = {
  node: { lib: ["ES2023", "DOM", "DOM.Iterable"], types: ["node"], globals: "sample-globals.d.ts" },
  worker: { lib: ["ES2023"], types: ["@cloudflare/workers-types"], globals: "sample-globals.worker.d.ts" },
} as const;

function tsc(dir: string): string {
  try {
    execFileSync(
      process.execPath,
      [join(REPO_ROOT, "node_modules/typescript/bin/tsc"), "-p", join(dir, "tsconfig.json")],
      {
        cwd: dir,
        stdio: "pipe",
      },
    );
    return "";
  } catch (error) {
    const out = error as { stdout?: Buffer; stderr?: Buffer };
    return `${out.stdout?.toString() ?? ""}${out.stderr?.toString() ?? ""}`;
  }
}

function typecheck(all: CodeSample[]): SampleError[] {
  rmSync(OUT, { recursive: true, force: true });
  const errors: SampleError[] = [];
  for (const [runtime, setup] of Object.entries(RUNTIMES)) {
    const samples = all.filter((s) => s.runtime === runtime);
    const dir = join(OUT, runtime);
    mkdirSync(dir, { recursive: true });
    samples.forEach((s, i) => writeFileSync(join(dir, `${String(i).padStart(3, "0")}.ts`), `${s.code}\nexport {};\n`));
    const tsconfig = {
      compilerOptions: {
        target: "ES2022",
        module: "ESNext",
        moduleResolution: "Bundler",
        lib: setup.lib,
        types: setup.types,
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        allowImportingTsExtensions: true,
        paths: {
          "cekura-edge-tracer": ["../../../sdk/index.ts"],
          "cekura-edge-tracer/*": ["../../../sdk/adapters/*.ts"],
        },
      },
      files: [join(REPO_ROOT, "test/docs", setup.globals)],
      include: ["./*.ts"],
    };
    writeFileSync(join(dir, "tsconfig.json"), JSON.stringify(tsconfig, null, 2));
    for (const line of tsc(dir).split("\n")) {
      const m = /(\d{3})\.ts\((\d+),\d+\): error (.*)$/.exec(line);
      const sample = m ? samples[Number(m[1])] : undefined;
      if (m && sample) errors.push({ sample, line: sample.line + Number(m[2]) - 1, message: m[3] ?? "" });
      // Errors inside the SDK's own sources are its tsconfig's business (typecheck.test.ts); a broken set-up is ours.
      else if (/error TS/.test(line) && !line.includes("/sdk/"))
        errors.push({ sample: { file: "(tsc)", line: 0, code: "", runtime: "node" }, line: 0, message: line });
    }
  }
  return errors;
}

describe("code samples in the docs", () => {
  const samples = samplesIn(REPO_ROOT);
  const errors = typecheck([...samples, CANARY]);

  it("finds the samples", () => {
    expect(samples.length).toBeGreaterThan(3);
  });

  it("reports a sample with a type error at its line (the check can fail)", () => {
    const canary = errors.filter((e) => e.sample === CANARY);
    expect(canary.length).toBe(1);
    expect(canary[0]?.line).toBe(2);
  });

  for (const file of [...new Set(samples.map((s) => s.file))]) {
    it(`${file}: every TypeScript block type-checks`, () => {
      const mine = errors.filter((e) => e.sample.file === file || e.sample.file === "(tsc)");
      expect(mine.map((e) => `${e.sample.file}:${e.line}: ${e.message}`)).toEqual([]);
    });
  }
}, 180_000);
