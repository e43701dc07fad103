import type { SessionContext, TracesAddon } from "../session.ts";
import { SessionTracing } from "./session-tracing.ts";
import { createTraceSink } from "./trace-sink.ts";
import type { SpanAttributes, TurnHandle } from "./types.ts";
import { SdkError } from "../errors.ts";
import { redactOtlpBody } from "../redact.ts";

export interface OtelAddon extends TracesAddon {
  readonly traceId: string;
  startTurn(): TurnHandle;
  toolCall(id: string, name: string, input: unknown): void;
  toolResult(id: string, output: unknown, isError: boolean): void;
}

/**
 * The session's traces: created only when `enableOtelTraces` is on (otherwise nothing is set up).
 * Spans go to the Worker's /v1/traces through the SDK's transport, flushed at turn end, on
 * session.flush() and before the close request (so the record can carry the trace id).
 */
export function createTracesAddon(
  ctx: SessionContext,
  additionalSpanAttributes?: SpanAttributes,
  now?: () => number,
  serviceName?: string,
): OtelAddon {
  let dropped = false;
  const sink = createTraceSink(ctx.transport, ctx.id);
  const tracing = new SessionTracing({
    sessionId: ctx.id,
    sink: (body) => (dropped ? Promise.resolve() : sink(ctx.redactor ? redactOtlpBody(ctx.redactor, body) : body)),
    additionalSpanAttributes,
    serviceName,
    now,
    onError: (error) =>
      ctx.report(
        error instanceof SdkError
          ? error
          : new SdkError(
              "traces_failed",
              `sending OTel spans failed: ${error instanceof Error ? error.message : String(error)}`,
              { cause: error },
            ),
      ),
  });
  return {
    traceId: tracing.traceId,
    startTurn: () => tracing.startTurn(),
    toolCall: (id, name, input) => tracing.toolCall({ id, name, input }),
    toolResult: (id, output, isError) => tracing.toolResult(id, { output, isError }),
    flush: () => tracing.flush(),
    async beforeClose() {
      await tracing.close();
    },
    abort() {
      dropped = true;
      void tracing.close();
    },
  };
}
