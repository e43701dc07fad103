// Names the docs' Workers samples (```ts worker) take as given.
import type { CekuraSession, CekuraTracer } from "cekura-edge-tracer";

declare global {
  interface Env {
    CEKURA_API_KEY: string;
    CEKURA_INGEST_URL: string;
  }
  const cekura: CekuraTracer;
  const session: CekuraSession;
  /** Your own agent code, bridged to the call's WebSocket. */
  function runMyAgent(socket: WebSocket): void;
}
