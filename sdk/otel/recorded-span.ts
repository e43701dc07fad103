import type { AttributeValue, SpanAttributes } from "./types.ts";

/** OpenTelemetry's default span attribute count limit (sdk-trace's `attributeCountLimit`). */
export const ATTRIBUTE_COUNT_LIMIT = 128;

/** A span as the SDK records it: the few fields the OTLP JSON carries, nothing else. */
export class RecordedSpan {
  readonly attributes: Record<string, AttributeValue> = {};
  droppedAttributes = 0;
  endMs: number | undefined;
  error: string | undefined;

  constructor(
    readonly traceId: string,
    readonly spanId: string,
    readonly parentSpanId: string | undefined,
    readonly name: string,
    readonly startMs: number,
    attributes: SpanAttributes,
    private readonly onEnd: (span: RecordedSpan) => void,
  ) {
    this.setAttributes(attributes);
  }

  isRecording(): boolean {
    return this.endMs === undefined;
  }

  /** As OTel's Span: ignored once ended, invalid values dropped, new keys past the limit counted as dropped. */
  setAttribute(key: string, value: unknown): this {
    if (!this.isRecording() || key.length === 0 || !isAttributeValue(value)) return this;
    if (!(key in this.attributes) && Object.keys(this.attributes).length >= ATTRIBUTE_COUNT_LIMIT) {
      this.droppedAttributes++;
      return this;
    }
    this.attributes[key] = value;
    return this;
  }

  setAttributes(attributes: SpanAttributes): this {
    for (const [key, value] of Object.entries(attributes)) if (value !== undefined) this.setAttribute(key, value);
    return this;
  }

  /** Ends once at `endMs` (never before the start), with an error status when given. */
  end(endMs: number, error?: string): void {
    if (!this.isRecording()) return;
    if (error) this.error = error;
    this.endMs = Math.max(endMs, this.startMs);
    this.onEnd(this);
  }
}

function isPrimitive(value: unknown): value is string | number | boolean {
  return typeof value === "string" || typeof value === "number" || typeof value === "boolean";
}

/** OTel's rule: a primitive, or an array whose non-null members share one primitive type. */
function isAttributeValue(value: unknown): value is AttributeValue {
  if (isPrimitive(value)) return true;
  if (!Array.isArray(value)) return false;
  let type: string | undefined;
  for (const item of value) {
    if (item === null || item === undefined) continue;
    if (!isPrimitive(item)) return false;
    type ??= typeof item;
    if (typeof item !== type) return false;
  }
  return true;
}

/** `bytes` random bytes as lower-case hex, never all zero (an invalid OTel id). */
export function randomId(bytes: 8 | 16): string {
  const buffer = new Uint8Array(bytes);
  do crypto.getRandomValues(buffer);
  while (buffer.every((b) => b === 0));
  let hex = "";
  for (const b of buffer) hex += b.toString(16).padStart(2, "0");
  return hex;
}
