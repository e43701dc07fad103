import { Hono } from "hono";
import { describeZodError, sessionIdSchema } from "../../sdk/protocol.ts";
import type { AppEnv } from "../app-env.ts";
import { configOf } from "../config.ts";
import { HttpError, unwrap } from "../errors.ts";
import { readBodyBytes } from "../middleware/body.ts";
import { sessionStub } from "../session/locate.ts";
import { spanContextProblem, spanTimeProblem, type SpanReceipt } from "../session/spans.ts";
import { traceLinkStub, type TraceAnswer } from "../session/trace-link-do.ts";
import type { Caller } from "../session/session-do.ts";
import { checkJsonShape, OTLP_JSON_SHAPE } from "../middleware/json-shape.ts";
import { checkProtobufShape, OTLP_PROTOBUF_SHAPE } from "../forward/otlp-shape.ts";
import { decodeTraceRequest, encodeTraceResponse, isProtobufType } from "../forward/otlp-protobuf.ts";
import {
  OTLP_LIMITS,
  spanSchema,
  stringAttribute,
  toTraceRequest,
  traceRequestSchema,
  type SpanItem,
  type TraceRequest,
} from "../forward/otel-wire.ts";

/** Spans are attached to a session by this attribute (span or resource), else by the header. */
const CONVERSATION_ID = "conversation.id";
const SESSION_HEADER = "x-cekura-session-id";

interface Routed {
  bySession: Map<string, { items: SpanItem[]; conversationTraceId?: string }>;
  /** Traces whose session this request names (by conversation.id). */
  traceSession: Map<string, string>;
  /** Spans with no session here, by trace: routed or parked by the trace's own DO. */
  orphans: Map<string, SpanItem[]>;
  rejected: number;
  reasons: Set<string>;
}

/** Validates each span and assigns it to a session: conversation.id > same trace as one that has it > header. */
export function routeSpans(request: TraceRequest, headerSessionId: string | undefined): Routed {
  const out: Routed = {
    bySession: new Map(),
    traceSession: new Map(),
    orphans: new Map(),
    rejected: 0,
    reasons: new Set(),
  };
  const pending: { item: SpanItem; session?: string; conversationSpan: boolean }[] = [];
  const traceSession = out.traceSession;
  const encoder = new TextEncoder();

  for (const resourceSpans of request.resourceSpans ?? []) {
    const resource = JSON.stringify(resourceSpans.resource ?? {});
    const resourceSession = stringAttribute(resourceSpans.resource?.attributes, CONVERSATION_ID);
    for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
      const scope = JSON.stringify(scopeSpans.scope ?? {});
      const contextProblem = spanContextProblem(resource, scope);
      if (contextProblem) {
        out.rejected += scopeSpans.spans?.length ?? 0;
        out.reasons.add(contextProblem);
        continue;
      }
      for (const raw of scopeSpans.spans ?? []) {
        const parsed = spanSchema.safeParse(raw);
        if (!parsed.success) {
          out.rejected++;
          out.reasons.add(`invalid span: ${describeZodError(parsed.error)}`);
          continue;
        }
        const timeProblem = spanTimeProblem(parsed.data.startTimeUnixNano, parsed.data.endTimeUnixNano);
        if (timeProblem) {
          out.rejected++;
          out.reasons.add(timeProblem);
          continue;
        }
        const span = { ...parsed.data, parentSpanId: parsed.data.parentSpanId ?? "" };
        const text = JSON.stringify(span);
        if (encoder.encode(text).byteLength > OTLP_LIMITS.spanBytes) {
          out.rejected++;
          out.reasons.add(`a span's JSON exceeds ${OTLP_LIMITS.spanBytes} bytes`);
          continue;
        }
        const own = stringAttribute(span.attributes, CONVERSATION_ID);
        const session = own ?? resourceSession;
        if (own && sessionIdSchema.safeParse(own).success && !traceSession.has(span.traceId))
          traceSession.set(span.traceId, own);
        pending.push({
          item: {
            traceId: span.traceId,
            spanId: span.spanId,
            parentSpanId: span.parentSpanId || null,
            resource,
            scope,
            span: text,
          },
          session,
          conversationSpan: own !== undefined,
        });
      }
    }
  }

  for (const { item, session: explicit, conversationSpan } of pending) {
    const session = explicit ?? traceSession.get(item.traceId) ?? headerSessionId;
    if (!session) {
      const list = out.orphans.get(item.traceId);
      if (list) list.push(item);
      else out.orphans.set(item.traceId, [item]);
      continue;
    }
    const valid = sessionIdSchema.safeParse(session);
    if (!valid.success) {
      out.rejected++;
      out.reasons.add(
        `invalid ${CONVERSATION_ID} "${session.slice(0, 120)}": ${describeZodError(valid.error).replace(/^\(body\): /, "")}`,
      );
      continue;
    }
    let group = out.bySession.get(session);
    if (!group) out.bySession.set(session, (group = { items: [] }));
    group.items.push(item);
    if (conversationSpan && !group.conversationTraceId) group.conversationTraceId = item.traceId;
  }
  return out;
}

type Encoding = "json" | "protobuf";

/** OTLP/HTTP's two encodings; anything else is 415. */
function encodingOf(contentType: string | undefined): Encoding {
  const type = (contentType ?? "").trim().toLowerCase();
  if (isProtobufType(type)) return "protobuf";
  if (type.startsWith("application/json")) return "json";
  throw new HttpError(
    415,
    "unsupported_media_type",
    `Content-Type must be application/x-protobuf or application/json (OTLP/HTTP), got "${type || "(none)"}"`,
  );
}

function parseRequest(bytes: Uint8Array, encoding: Encoding): TraceRequest {
  let parsed: unknown;
  if (encoding === "protobuf") {
    checkProtobufShape(bytes, OTLP_PROTOBUF_SHAPE);
    try {
      parsed = decodeTraceRequest(bytes);
    } catch (error) {
      throw new HttpError(
        400,
        "invalid_protobuf",
        `the body is not an OTLP ExportTraceServiceRequest in protobuf: ${(error as Error).message}`,
      );
    }
  } else {
    checkJsonShape(bytes, OTLP_JSON_SHAPE);
    try {
      parsed = JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes));
    } catch (error) {
      throw new HttpError(400, "invalid_json", `the body is not valid UTF-8 JSON: ${(error as Error).message}`);
    }
  }
  const result = traceRequestSchema.safeParse(parsed);
  if (!result.success)
    throw new HttpError(
      400,
      "invalid_otlp",
      `not an OTLP ExportTraceServiceRequest: ${describeZodError(result.error)}`,
    );
  return result.data;
}

/** ExportTraceServiceResponse in the request's encoding: empty on full success, else partialSuccess. */
function exportResponse(encoding: Encoding, rejected: number, reasons: Set<string>): Response {
  const partial =
    rejected === 0 ? undefined : { rejectedSpans: rejected, errorMessage: [...reasons].join("; ").slice(0, 2000) };
  if (encoding === "protobuf")
    return new Response(encodeTraceResponse(partial), { headers: { "content-type": "application/x-protobuf" } });
  return Response.json(partial ? { partialSuccess: { ...partial, rejectedSpans: String(partial.rejectedSpans) } } : {});
}

/** Durable Object errors that mean "busy, try later" (OTLP clients retry 429/502/503/504). */
function isOverload(error: unknown): boolean {
  const e = error as { overloaded?: boolean; retryable?: boolean } | undefined;
  return Boolean(e && typeof e === "object" && (e.overloaded || e.retryable));
}

/** OTLP/HTTP trace receiver: protobuf or JSON (gzip or not), partial success, 413/400/415, 503 with Retry-After when shedding. */
export const traceRoutes = new Hono<AppEnv>()
  .post("/", async (c) => {
    const encoding = encodingOf(c.req.header("content-type"));
    const bytes = await readBodyBytes(c.req.raw, {
      maxBytes: OTLP_LIMITS.bodyBytes,
      maxDecompressedBytes:
        encoding === "protobuf" ? OTLP_LIMITS.decompressedProtobufBytes : OTLP_LIMITS.decompressedBytes,
    });
    const header = c.req.header(SESSION_HEADER)?.trim() || undefined;
    const routed = routeSpans(parseRequest(bytes, encoding), header);

    const tenant = c.get("tenant");
    const apiKey = c.get("apiKey");
    const config = configOf(c.env);
    let rejected = routed.rejected;
    const reasons = routed.reasons;
    const traceStub = (traceId: string) => traceLinkStub(c.env, config, tenant, traceId);
    /** Parked spans handed to a session, by trace: deleted from the trace's object once the session answered. */
    const handedOver = new Map<string, string[]>();
    const addTo = (sessionId: string, items: SpanItem[]) => {
      let group = routed.bySession.get(sessionId);
      if (!group) routed.bySession.set(sessionId, (group = { items: [] }));
      group.items.push(...items);
    };
    const handOver = (traceId: string, sessionId: string, parked: SpanItem[]) => {
      if (parked.length === 0) return;
      addTo(sessionId, parked);
      handedOver.set(traceId, [...(handedOver.get(traceId) ?? []), ...parked.map((p) => p.spanId)]);
    };
    let capped: (SpanReceipt["cap"] & { sessionId: string; reason: string }) | undefined;
    try {
      // Spans of a trace whose session is not known yet wait in the trace's DO; naming the session releases them.
      const [links, orphans] = await Promise.all([
        Promise.all(
          [...routed.traceSession].map(async ([traceId, sessionId]) => ({
            traceId,
            link: await traceStub(traceId).link(sessionId),
          })),
        ),
        Promise.all(
          [...routed.orphans].map(async ([traceId, items]) => ({
            traceId,
            items,
            answer: (await traceStub(traceId).route(items)) as TraceAnswer,
          })),
        ),
      ]);
      for (const { traceId, link } of links) handOver(traceId, link.sessionId, link.parked);
      for (const { traceId, items, answer } of orphans) {
        if ("sessionId" in answer) {
          addTo(answer.sessionId, items);
          handOver(traceId, answer.sessionId, answer.parked);
        } else if (answer.rejected > 0) {
          rejected += answer.rejected;
          reasons.add(
            `spans with no session yet: set the "${CONVERSATION_ID}" attribute or the ${SESSION_HEADER} header; ${answer.reason ?? "the trace cannot park more"}`,
          );
        }
      }
      const receipts = await Promise.all(
        [...routed.bySession].map(async ([sessionId, group]) => {
          const caller: Caller = { tenant, sessionId, apiKey };
          return {
            sessionId,
            receipt: unwrap(
              await sessionStub(c.env, config, tenant, sessionId).traces(
                caller,
                group.items,
                group.conversationTraceId,
              ),
            ),
          };
        }),
      );
      for (const { sessionId, receipt } of receipts) {
        rejected += receipt.rejected;
        if (receipt.reason) reasons.add(receipt.reason);
        if (receipt.cap && !capped) capped = { ...receipt.cap, sessionId, reason: receipt.reason ?? "" };
      }
      // Every session answered (stored, or refused for good): the parked copies can go.
      await Promise.all([...handedOver].map(([traceId, spanIds]) => traceStub(traceId).release(spanIds)));
    } catch (error) {
      if (error instanceof HttpError) throw error;
      if (isOverload(error)) {
        throw new HttpError(503, "overloaded", "the session's storage is busy; retry after the Retry-After delay", {
          "retry-after": "1",
        });
      }
      throw error;
    }
    if (capped) {
      throw new HttpError(
        413,
        "session_limit_exceeded",
        `session "${capped.sessionId}": ${capped.reason}; ${rejected} span${rejected === 1 ? "" : "s"} of this request were not stored (cap ${capped.name} = ${capped.limit})`,
      );
    }
    return exportResponse(encoding, rejected, reasons);
  })
  .get("/:id", async (c) => {
    const { items, traceId } = unwrap(await c.var.session.storedSpans(c.var.caller));
    return c.json({ traceId, ...toTraceRequest(items) });
  });
