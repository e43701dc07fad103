/** One ES module file built by esbuild from a repository entry, as a user's bundler would build it, for tests that run it elsewhere. */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { REPO_ROOT } from "../../worker/local/local-worker.ts";

export interface BundleOptions {
  /**
   * "workerd": the browser platform with workerd's export conditions (what wrangler resolves); "neutral": no
   * platform's conditions; "node20": the web build of every dependency, run by plain node. Default "workerd".
   */
  target?: "workerd" | "neutral" | "node20";
  /** Module specifiers left as imports (e.g. "cloudflare:workers"). */
  external?: string[];
}

/** Bundles `entry` (a path from the repository root) into `<new temp dir>/<fileName>`; returns that file's path. */
export async function bundleForTest(entry: string, fileName: string, options: BundleOptions = {}): Promise<string> {
  const outfile = join(mkdtempSync(join(tmpdir(), "cekura-bundle-")), fileName);
  const target = options.target ?? "workerd";
  await build({
    entryPoints: [join(REPO_ROOT, entry)],
    bundle: true,
    format: "esm",
    ...(target === "workerd"
      ? { platform: "browser", conditions: ["workerd", "worker", "browser"], target: "es2022" }
      : target === "node20"
        ? { platform: "browser", target: "node20" }
        : { platform: "neutral" }),
    outfile,
    external: options.external,
    logLevel: "error",
  });
  return outfile;
}
