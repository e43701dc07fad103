/**
 * OTLP/HTTP trace requests (ExportTraceServiceRequest) in their JSON form, as the Worker reads and writes them
 * (protobuf requests are decoded into this form first: otlp-protobuf.ts).
 * The request's frame is validated strictly (400 when it is not OTLP); each span is validated on
 * its own, so one bad span is a partial success, not a failed request.
 */
import { z } from "zod";

export const OTLP_LIMITS = {
  /** Body as sent (possibly gzip). */
  bodyBytes: 4 * 1024 * 1024,
  /** Body after decompression: a gzip bomb stops here (413). */
  decompressedBytes: 16 * 1024 * 1024,
  /** The same for protobuf, which holds about three times the spans per byte: about as many spans as 16 MiB of JSON. */
  decompressedProtobufBytes: 6 * 1024 * 1024,
  /** One span's JSON (a DO SQLite row holds it). */
  spanBytes: 256 * 1024,
  /** Spans one session may hold; later ones are rejected (partial success). */
  spansPerSession: 20_000,
} as const;

const keyValue = z.object({ key: z.string(), value: z.unknown().optional() }).passthrough();
export type KeyValue = z.infer<typeof keyValue>;

const hex = (length: number, what: string) =>
  z
    .string()
    .regex(new RegExp(`^[0-9a-fA-F]{${length}}$`), `${what} must be ${length} hex characters`)
    .refine((v) => !/^0+$/.test(v), `${what} must not be all zeros`)
    .transform((v) => v.toLowerCase());

const nanos = z.union([
  z.string().regex(/^\d{1,20}$/, "must be unsigned int64 nanoseconds"),
  z.number().int().nonnegative(),
]);

/** One span: the fields the Worker relies on are checked; the rest passes through unchanged. */
export const spanSchema = z
  .object({
    traceId: hex(32, "traceId"),
    spanId: hex(16, "spanId"),
    parentSpanId: z.union([z.literal(""), hex(16, "parentSpanId")]).optional(),
    name: z.string().min(1).max(1024),
    startTimeUnixNano: nanos,
    endTimeUnixNano: nanos,
    attributes: z.array(keyValue).max(1024).optional(),
  })
  .passthrough();
export type OtlpSpan = z.infer<typeof spanSchema>;

const resourceSchema = z.object({ attributes: z.array(keyValue).optional() }).passthrough();
const scopeSchema = z.object({ name: z.string().optional(), version: z.string().optional() }).passthrough();

export const traceRequestSchema = z.object({
  resourceSpans: z
    .array(
      z
        .object({
          resource: resourceSchema.optional(),
          scopeSpans: z
            .array(
              z
                .object({
                  scope: scopeSchema.optional(),
                  spans: z.array(z.unknown()).optional(),
                  schemaUrl: z.string().optional(),
                })
                .passthrough(),
            )
            .optional(),
          schemaUrl: z.string().optional(),
        })
        .passthrough(),
    )
    .optional(),
});
export type TraceRequest = z.infer<typeof traceRequestSchema>;

/** A span with the resource and scope it came under (kept as JSON text, regrouped when sent on). */
export interface SpanItem {
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  resource: string;
  scope: string;
  span: string;
}

/** A string attribute of a span or resource, if present. */
export function stringAttribute(attributes: KeyValue[] | undefined, key: string): string | undefined {
  const value = attributes?.find((a) => a.key === key)?.value as { stringValue?: unknown } | undefined;
  return typeof value?.stringValue === "string" ? value.stringValue : undefined;
}

/** Regroups stored items into one ExportTraceServiceRequest (resource -> scope -> spans). */
export function toTraceRequest(items: Pick<SpanItem, "resource" | "scope" | "span">[]): { resourceSpans: unknown[] } {
  const resources = new Map<string, Map<string, unknown[]>>();
  for (const item of items) {
    let scopes = resources.get(item.resource);
    if (!scopes) resources.set(item.resource, (scopes = new Map()));
    let spans = scopes.get(item.scope);
    if (!spans) scopes.set(item.scope, (spans = []));
    spans.push(JSON.parse(item.span));
  }
  return {
    resourceSpans: [...resources].map(([resource, scopes]) => ({
      resource: JSON.parse(resource),
      scopeSpans: [...scopes].map(([scope, spans]) => ({ scope: JSON.parse(scope), spans })),
    })),
  };
}
