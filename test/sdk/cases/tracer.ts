/** The tracer a case records with: the suite's Worker, the run's key and agent, and every onError report kept. */
import { CekuraTracer, type CekuraTracerOptions, type SdkError } from "../../../sdk/index.ts";
import type { CaseContext } from "./types.ts";

/** `options` add to or override the suite's settings (`onError` too). */
export function caseTracer(
  ctx: CaseContext,
  options: Partial<CekuraTracerOptions> = {},
): { cekura: CekuraTracer; errors: SdkError[] } {
  const errors: SdkError[] = [];
  const cekura = new CekuraTracer({
    apiKey: ctx.apiKey,
    agentId: ctx.agentId,
    ingestUrl: ctx.ingestUrl,
    onError: (e) => errors.push(e),
    ...options,
  });
  return { cekura, errors };
}
