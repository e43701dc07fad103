/**
 * A test Worker that runs the shared SDK suite inside workerd: POST {base, only} runs one case and
 * answers its results. Bundled with esbuild (no nodejs_compat: the SDK needs no Node APIs).
 */
import { runCases } from "../sdk/cases/run.ts";

export default {
  async fetch(request: Request): Promise<Response> {
    const { base, only } = (await request.json()) as { base: Parameters<typeof runCases>[0]; only?: string };
    return Response.json(await runCases(base, only));
  },
};
