/**
 * The configuration a `wrangler deploy` ships: forwarding goes to Cekura's own hosts with no extra
 * settings, while every local Worker (npm start, tests, benches) is pointed elsewhere.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { unstable_readConfig } from "wrangler";
import { afterAll, describe, expect, it } from "vitest";
import { readConfig } from "../../worker/config.ts";
import type { Env } from "../../worker/env.ts";
import { LOCAL_CEKURA_VARS, REPO_ROOT } from "../../worker/local/local-worker.ts";

const CEKURA_HOST = "https://api.cekura.ai";
const CEKURA_OTEL_ENDPOINT = "https://otel-http.cekura.ai/v1/traces";
const outdir = mkdtempSync(join(tmpdir(), "cekura-deploy-"));
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

describe("deploy defaults", () => {
  it("wrangler deploy --dry-run bundles the Worker with Cekura's API host and OTLP endpoint as its variables", () => {
    const run = spawnSync(
      process.execPath,
      [join(REPO_ROOT, "node_modules/wrangler/bin/wrangler.js"), "deploy", "--dry-run", "--outdir", outdir],
      {
        cwd: REPO_ROOT,
        env: {
          ...process.env,
          WRANGLER_SEND_METRICS: "false",
          CLOUDFLARE_CF_FETCH_ENABLED: "false",
          CI: "true",
          NO_COLOR: "1",
        },
        encoding: "utf8",
        timeout: 120_000,
      },
    );
    const output = `${run.stdout}${run.stderr}`;
    expect(run.status, output).toBe(0);
    expect(existsSync(join(outdir, "index.js"))).toBe(true);
    expect(output).toContain(`env.CEKURA_HOST ("${CEKURA_HOST}")`);
    expect(output).toContain(`env.CEKURA_OTEL_ENDPOINT ("${CEKURA_OTEL_ENDPOINT}")`);
  });

  it("the deployed configuration, as the Worker parses it, forwards records and spans to Cekura", () => {
    const config = unstable_readConfig({ config: join(REPO_ROOT, "wrangler.toml") }, { hideWarnings: true });
    const parsed = readConfig(config.vars as unknown as Env);
    expect(parsed.cekuraHost).toBe(CEKURA_HOST);
    expect(parsed.otelEndpoint).toBe(CEKURA_OTEL_ENDPOINT);
    expect(parsed.simulationPath).toBe("/test_framework/custom-provider-transcript-webhook/");
  });

  it("a local Worker forwards nowhere unless it is pointed at the stand-in", () => {
    const config = unstable_readConfig({ config: join(REPO_ROOT, "wrangler.toml") }, { hideWarnings: true });
    const local = readConfig({ ...(config.vars as object), ...LOCAL_CEKURA_VARS } as unknown as Env);
    expect(local.cekuraHost).toBeUndefined();
    expect(local.otelEndpoint).toBeUndefined();
  });
});
