/**
 * A tracer whose requests never leave the process: its `fetch` answers as the Worker does when it takes
 * everything (every fragment and chunk acknowledged), so a bench measures the SDK's own cost.
 * Runtime-neutral (Node, Deno, Bun).
 */
import { CekuraTracer, type CekuraTracerOptions } from "../../sdk/index.ts";

/** The Worker's answer to an accepted fragment or audio chunk. */
export const acknowledged = () =>
  new Response('{"ackedThrough":0,"missing":[],"state":"open","bytes":0}', {
    status: 200,
    headers: { "content-type": "application/json" },
  });

export function offlineTracer(options: Partial<CekuraTracerOptions> = {}): CekuraTracer {
  return new CekuraTracer({
    apiKey: "bench-key",
    agentId: 42,
    ingestUrl: "http://127.0.0.1:9",
    fetch: async () => acknowledged(),
    enableOtelTraces: false,
    onError: () => {},
    ...options,
  });
}
