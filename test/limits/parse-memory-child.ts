/**
 * One body parsed the way the Worker parses it, in a fresh process: prints the peak resident memory the
 * parse added (maxRSS after minus RSS before, MiB). Run by parse-memory.test.ts.
 */
import { checkJsonShape, type JsonShapeLimits } from "../../worker/middleware/json-shape.ts";
import { checkProtobufShape, OTLP_PROTOBUF_SHAPE } from "../../worker/forward/otlp-shape.ts";
import { decodeTraceRequest } from "../../worker/forward/otlp-protobuf.ts";

const [kind, countArg, capped] = process.argv.slice(2) as [string, string, string];
const count = Number(countArg);
const mib = (bytes: number) => bytes / (1024 * 1024);

/** `[` + `unit` repeated `count` times joined by `,` + `]`, written straight into bytes (no large string). */
function repeated(unit: string, n: number): Uint8Array {
  const u = new TextEncoder().encode(unit);
  const out = new Uint8Array(2 + n * u.length + (n - 1));
  out[0] = 0x5b;
  let at = 1;
  for (let i = 0; i < n; i++) {
    if (i > 0) out[at++] = 0x2c;
    out.set(u, at);
    at += u.length;
  }
  out[at] = 0x5d;
  return out;
}

function body(): Uint8Array {
  switch (kind) {
    case "empty-objects":
      return repeated("{}", count);
    case "numbers":
      return repeated("0", count);
    case "protobuf-empty": {
      const out = new Uint8Array(count * 2);
      for (let i = 0; i < out.length; i += 2) out[i] = 0x0a;
      return out;
    }
    default:
      throw new Error(`unknown kind ${kind}`);
  }
}

const bytes = body();
globalThis.gc?.();
// maxRSS is the process's peak so far: the baseline is the higher of it and the current RSS.
const before = Math.max(process.memoryUsage().rss, process.resourceUsage().maxRSS * 1024);
let outcome = "parsed";
let kept: unknown;
try {
  if (kind.startsWith("protobuf")) {
    if (capped === "capped") checkProtobufShape(bytes, OTLP_PROTOBUF_SHAPE);
    kept = decodeTraceRequest(bytes);
  } else {
    const limits = JSON.parse(capped) as JsonShapeLimits | null;
    if (limits) checkJsonShape(bytes, limits);
    kept = JSON.parse(new TextDecoder().decode(bytes));
  }
} catch (error) {
  outcome = `refused: ${(error as Error).message.slice(0, 80)}`;
}
const peak = process.resourceUsage().maxRSS * 1024;
console.log(
  JSON.stringify({
    kind,
    count,
    bodyMiB: mib(bytes.byteLength),
    peakAddedMiB: mib(Math.max(0, peak - before)),
    outcome,
    kept: kept !== undefined,
  }),
);
