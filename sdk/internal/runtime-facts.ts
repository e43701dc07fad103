/** What the SDK tells the Worker about itself when a session is first seen (fragment field `sdk`). */

export const SDK_NAME = "cekura-edge-tracer";
export const SDK_VERSION = "0.1.0";

export interface SdkFacts {
  name: string;
  version: string;
  /** "node" | "deno" | "bun" | "workerd" | "unknown" */
  runtime: string;
  runtimeVersion?: string;
}

type Globals = {
  Deno?: { version?: { deno?: unknown } };
  Bun?: { version?: unknown };
  navigator?: { userAgent?: unknown };
  process?: { versions?: { node?: unknown } };
};

/** Deno and Bun also define `process`, and workerd may (nodejs_compat): test them first. */
function detectRuntime(g: Globals): { runtime: string; runtimeVersion?: string } {
  const text = (v: unknown) => (typeof v === "string" && v !== "" ? v.slice(0, 100) : undefined);
  const deno = text(g.Deno?.version?.deno);
  if (deno) return { runtime: "deno", runtimeVersion: deno };
  const bun = text(g.Bun?.version);
  if (bun) return { runtime: "bun", runtimeVersion: bun };
  if (g.navigator?.userAgent === "Cloudflare-Workers") return { runtime: "workerd" };
  const node = text(g.process?.versions?.node);
  if (node) return { runtime: "node", runtimeVersion: node };
  const agent = text(g.navigator?.userAgent);
  return agent ? { runtime: "unknown", runtimeVersion: agent } : { runtime: "unknown" };
}

let cached: SdkFacts | undefined;

/** The SDK's name and version and the runtime it runs on; computed once. */
export function sdkFacts(): SdkFacts {
  if (!cached) {
    let runtime: { runtime: string; runtimeVersion?: string } = { runtime: "unknown" };
    try {
      runtime = detectRuntime(globalThis as unknown as Globals);
    } catch {
      // a locked-down global (e.g. a permission prompt) must not break a session
    }
    cached = { name: SDK_NAME, version: SDK_VERSION, ...runtime };
  }
  return cached;
}
