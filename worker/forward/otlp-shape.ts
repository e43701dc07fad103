import { HttpError } from "../errors.ts";

/**
 * A pre-scan of an OTLP protobuf body before it is decoded (issue 29 item 8): 6 MiB of empty repeated
 * messages (`0a 00` is one empty ResourceSpans) decode to about 3 million objects, each then turned into
 * its JSON form. The scan walks the wire format along the trace schema, counting every nested message
 * (resource spans, scopes, spans, events, links, key-values, any-values) without allocating, and stops at
 * the first cap passed. Bytes that are not valid wire format end the scan; the decoder reports them.
 */
export interface ProtobufShapeLimits {
  maxMessages: number;
  maxDepth: number;
}

/** About 4,000 SDK spans (~25 messages each) per request; the SDK's exporter sends at most 512. */
export const OTLP_PROTOBUF_SHAPE: ProtobufShapeLimits = { maxMessages: 100_000, maxDepth: 32 };

type Schema = Record<number, string>;
/** Message fields that hold messages, by message: field number -> message type (opentelemetry-proto). */
const SCHEMA: Record<string, Schema> = {
  request: { 1: "resourceSpans" },
  resourceSpans: { 1: "resource", 2: "scopeSpans" },
  resource: { 1: "keyValue" },
  scopeSpans: { 1: "scope", 2: "span" },
  scope: { 3: "keyValue" },
  span: { 9: "keyValue", 11: "event", 13: "link", 15: "leaf" },
  event: { 3: "keyValue" },
  link: { 4: "keyValue" },
  keyValue: { 2: "anyValue" },
  anyValue: { 5: "arrayValue", 6: "keyValueList" },
  arrayValue: { 1: "anyValue" },
  keyValueList: { 1: "keyValue" },
  leaf: {},
};

class Stop extends Error {}

/** throws 413 `payload_too_large` or 400 `invalid_protobuf`; returns quietly for anything it cannot read. */
export function checkProtobufShape(bytes: Uint8Array, limits: ProtobufShapeLimits): void {
  let messages = 0;
  const varint = (at: { i: number }, end: number): number => {
    let value = 0;
    let scale = 1;
    for (let n = 0; n < 10; n++) {
      if (at.i >= end) throw new Stop();
      const b = bytes[at.i++]!;
      value += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return value;
      scale *= 128;
    }
    throw new Stop();
  };
  const walk = (type: string, start: number, end: number, depth: number): void => {
    if (depth > limits.maxDepth)
      throw new HttpError(
        400,
        "invalid_protobuf",
        `the body nests OTLP messages deeper than ${limits.maxDepth} levels`,
      );
    const fields = SCHEMA[type]!;
    const at = { i: start };
    while (at.i < end) {
      const tag = varint(at, end);
      const wire = tag % 8;
      const field = Math.floor(tag / 8);
      if (wire === 0) varint(at, end);
      else if (wire === 1) at.i += 8;
      else if (wire === 5) at.i += 4;
      else if (wire === 2) {
        const length = varint(at, end);
        const next = at.i + length;
        if (next > end) throw new Stop();
        const child = fields[field];
        if (child) {
          if (++messages > limits.maxMessages)
            throw new HttpError(
              413,
              "payload_too_large",
              `the body holds more than ${limits.maxMessages} OTLP messages (spans, attributes, events, links and their values); send fewer spans per request`,
            );
          walk(child, at.i, next, depth + 1);
        }
        at.i = next;
      } else throw new Stop();
    }
  };
  try {
    walk("request", 0, bytes.length, 0);
  } catch (error) {
    if (!(error instanceof Stop)) throw error;
  }
}
