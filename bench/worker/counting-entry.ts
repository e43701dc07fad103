/**
 * The bench/test build of the ingestion Worker: the real app and Durable Object classes, with the
 * counting wrappers of counting.ts around their bindings and storage. Two extra routes, only in this
 * build: `GET /__bench/counts` (the counters) and `POST /__bench/reset`. A request with the header
 * `x-bench-probe: 1` (the bench polling a status) is served with the real env and not counted.
 */
import { createApp } from "../../worker/app.ts";
import type { Env } from "../../worker/env.ts";
import { TenantIndexDO as RealTenantIndexDO } from "../../worker/inspect/tenant-index-do.ts";
import { SessionDO as RealSessionDO } from "../../worker/session/session-do.ts";
import {
  countActive,
  countAlarm,
  countingEnv,
  countingState,
  countWorkerRequest,
  resetCounts,
  snapshotCounts,
} from "./counting.ts";

// Trace objects hold only spans that arrive before their session is named (none in the bench's call
// model), so they run uncounted.
export { TraceLinkDO } from "../../worker/session/trace-link-do.ts";

const app = createApp();

export class SessionDO extends RealSessionDO {
  constructor(ctx: DurableObjectState, env: Env) {
    super(countingState(ctx, "SESSIONS"), countingEnv(env));
  }

  override async alarm(): Promise<void> {
    countAlarm();
    const start = Date.now();
    try {
      await super.alarm();
    } finally {
      countActive(`SESSIONS:${this.ctx.id.toString()}`, start, Date.now());
    }
  }
}

export class TenantIndexDO extends RealTenantIndexDO {
  constructor(ctx: DurableObjectState, env: Env) {
    super(countingState(ctx, "TENANT_INDEX"), countingEnv(env));
  }
}

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    const path = new URL(request.url).pathname;
    if (path === "/__bench/counts") return Response.json(snapshotCounts());
    if (path === "/__bench/reset" && request.method === "POST") {
      resetCounts();
      return Response.json({ ok: true });
    }
    if (request.headers.get("x-bench-probe") === "1") return app.fetch(request, env, ctx);
    countWorkerRequest();
    return app.fetch(request, countingEnv(env), ctx);
  },
} satisfies ExportedHandler<Env>;
