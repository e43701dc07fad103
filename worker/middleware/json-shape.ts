import { HttpError } from "../errors.ts";

/**
 * A cheap byte-level pre-scan of a JSON body before JSON.parse (issue 29 item 8): ~20 KB of gzip can
 * inflate to 16 MiB of `[{},{},...]`, about 5.6 million objects that JSON.parse would build before any
 * schema looked at them. Outside strings the scan counts nesting depth and values (each `{`, `[` and `,`
 * starts at most one value), and stops at the first cap passed, so a refused body costs one pass over
 * its bytes and no allocation.
 */
export interface JsonShapeLimits {
  /** Deepest nesting of objects and arrays. */
  maxDepth: number;
  /** Most values in containers (objects, arrays and their members), counted as `{`, `[` and `,`. */
  maxValues: number;
}

/** Fragments: 1,000 events of a few fields each, with tool arguments and metadata, fit many times over. */
export const FRAGMENT_JSON_SHAPE: JsonShapeLimits = { maxDepth: 64, maxValues: 200_000 };
/** OTLP/JSON: about 5,000 SDK spans (~75 values each); the SDK's exporter sends at most 512 per request. */
export const OTLP_JSON_SHAPE: JsonShapeLimits = { maxDepth: 64, maxValues: 400_000 };

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const OPEN_ARRAY = 0x5b;
const CLOSE_OBJECT = 0x7d;
const CLOSE_ARRAY = 0x5d;
const COMMA = 0x2c;

/** Throws 413 `payload_too_large` (too many values) or 400 `invalid_json` (too deep); malformed JSON is left to JSON.parse. */
export function checkJsonShape(bytes: Uint8Array, limits: JsonShapeLimits): void {
  let depth = 0;
  let values = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (inString) {
      if (b === BACKSLASH) i++;
      else if (b === QUOTE) inString = false;
      continue;
    }
    if (b === QUOTE) inString = true;
    else if (b === OPEN_OBJECT || b === OPEN_ARRAY) {
      if (++depth > limits.maxDepth)
        throw new HttpError(
          400,
          "invalid_json",
          `the body nests objects and arrays deeper than ${limits.maxDepth} levels`,
        );
      if (++values > limits.maxValues) throw tooComplex(limits);
    } else if (b === CLOSE_OBJECT || b === CLOSE_ARRAY) depth--;
    else if (b === COMMA && ++values > limits.maxValues) throw tooComplex(limits);
  }
}

const tooComplex = (limits: JsonShapeLimits) =>
  new HttpError(
    413,
    "payload_too_large",
    `the body holds more than ${limits.maxValues} JSON values (objects, arrays and their members); send fewer per request`,
  );
