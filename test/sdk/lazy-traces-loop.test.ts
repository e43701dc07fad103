/**
 * Issue 25: traces never block the caller's event loop for long. Structural facts (no OpenTelemetry
 * package behind the traces, so nothing heavy is evaluated when the tracer starts), then a generous
 * bound on the longest block in a fresh Node process, best of three (bench/sdk-loop-block.ts has
 * the precise numbers per runtime). And the tracer's `serviceName` reaches the spans' resource.
 */
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { CekuraTracer } from "../../sdk/index.ts";
import { REPO_ROOT } from "../../worker/local/local-worker.ts";
import { bundleForTest } from "../support/bundle.ts";
import { useLocalWorker } from "../support/sdk-fixtures.ts";

const OTEL_DIR = join(REPO_ROOT, "sdk/otel");

describe("traces and the caller's event loop", () => {
  it("the traces code imports no package: only the SDK's own modules, and the SDK depends on none", () => {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, "sdk/package.json"), "utf8")) as {
      dependencies?: Record<string, string>;
    };
    expect(pkg.dependencies ?? {}).toEqual({});
    const specifiers: string[] = [];
    for (const file of readdirSync(OTEL_DIR).filter((f) => f.endsWith(".ts"))) {
      const source = readFileSync(join(OTEL_DIR, file), "utf8");
      for (const m of source.matchAll(/(?:from|import)\s*\(?\s*["']([^"']+)["']/g)) specifiers.push(m[1]!);
    }
    expect(specifiers.length).toBeGreaterThan(10);
    expect(specifiers.filter((s) => !s.startsWith("./") && !s.startsWith("../"))).toEqual([]);
  });

  it("construction, the first call and 50 turns each block a fresh Node process's loop < 30 ms (best of 3)", async () => {
    // One file, as a bundler makes it (the lazily imported traces part included).
    const outfile = await bundleForTest("sdk/index.ts", "sdk.mjs", { target: "neutral" });
    const probe = join(REPO_ROOT, "bench/lib/loop-block-probe.mjs");
    const runs = Array.from({ length: 3 }, () => {
      const run = spawnSync(process.execPath, [probe, pathToFileURL(outfile).href], { encoding: "utf8" });
      const line = run.stdout.split("\n").find((l) => l.startsWith("LOOP_BLOCK "));
      if (!line) throw new Error(`probe failed: ${run.stdout}${run.stderr}`);
      return JSON.parse(line.slice("LOOP_BLOCK ".length)) as Record<string, { blockMs: number }>;
    });
    for (const phase of ["construction", "firstCall", "steady"]) {
      const best = Math.min(...runs.map((r) => r[phase]!.blockMs));
      expect(best, phase).toBeLessThan(30);
    }
  }, 60_000);
});

describe("serviceName", () => {
  const worker = useLocalWorker();

  async function serviceNamesSent(serviceName?: string): Promise<string[]> {
    const names: string[] = [];
    const cekura = new CekuraTracer({
      apiKey: `service-name-${crypto.randomUUID()}`,
      agentId: 7,
      ingestUrl: worker.url,
      ...(serviceName === undefined ? {} : { serviceName }),
      // The real network to the local Worker; the OTLP bodies are read on the way.
      fetch: async (input, init) => {
        const request = new Request(input, init);
        if (new URL(request.url).pathname === "/v1/traces") {
          const body = JSON.parse(await request.clone().text()) as {
            resourceSpans: { resource: { attributes: { key: string; value: { stringValue?: string } }[] } }[];
          };
          for (const rs of body.resourceSpans)
            for (const a of rs.resource.attributes) if (a.key === "service.name") names.push(a.value.stringValue!);
        }
        return fetch(request);
      },
    });
    const session = cekura.track({ sessionId: `svc-${crypto.randomUUID()}` });
    session.startTurn().end();
    await session.close();
    return names;
  }

  it("is the tracer's option on every batch, and cekura-voice-agent by default", async () => {
    const custom = await serviceNamesSent("my-voice-bot");
    expect(custom.length).toBeGreaterThan(0);
    expect(new Set(custom)).toEqual(new Set(["my-voice-bot"]));
    expect(new Set(await serviceNamesSent())).toEqual(new Set(["cekura-voice-agent"]));
  }, 60_000);

  it("refuses an empty or non-string serviceName at construction", () => {
    for (const serviceName of ["", 42])
      expect(
        () =>
          new CekuraTracer({
            apiKey: "k",
            agentId: 1,
            ingestUrl: "http://127.0.0.1:9",
            serviceName: serviceName as string,
          }),
      ).toThrow(/serviceName/);
  });
});
