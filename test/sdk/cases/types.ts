/**
 * The shared SDK suite: runtime-neutral cases run in Node, Deno, Bun and workerd against the real
 * local Worker. A case file exports `cases: SdkCase[]`; add it to ./index.ts.
 * Cases may use only web-standard APIs (fetch, crypto, setTimeout...) and the SDK.
 */
export type Runtime = "node" | "deno" | "bun" | "workerd";

export interface CaseContext {
  runtime: Runtime;
  /** The local Worker's base URL (127.0.0.1). */
  ingestUrl: string;
  /** An API key unique to this run (= its own tenant). */
  apiKey: string;
  agentId: number;
  /** Unique per case run; prefix session ids with it. */
  uid: string;
  /** The Cekura stand-in the Worker forwards spans to (`GET /__standin/requests` lists what it received). */
  standInUrl?: string;
}

export interface SdkCase {
  name: string;
  /** Runtimes to skip (with a reason in the case file); default: run everywhere. */
  skip?: Runtime[];
  run(ctx: CaseContext): Promise<void>;
}

export interface CaseResult {
  name: string;
  ok: boolean;
  error?: string;
  ms: number;
}
