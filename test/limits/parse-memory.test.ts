/**
 * Issue 29 item 8, measured: peak memory a parse adds for the worst body each cap lets through, each in a
 * fresh Node process (maxRSS after - RSS before). The worst shape per value is the empty object (~110 bytes of
 * heap each in V8) and, for protobuf, the empty repeated message (decoded, then turned into its JSON form).
 * The uncapped 16 MiB `[{},{},...]` is measured too, to show what the caps keep out. A Worker isolate has 128 MB.
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";
import { OTLP_PROTOBUF_SHAPE } from "../../worker/forward/otlp-shape.ts";
import { FRAGMENT_JSON_SHAPE, OTLP_JSON_SHAPE } from "../../worker/middleware/json-shape.ts";

const CHILD = fileURLToPath(new URL("./parse-memory-child.ts", import.meta.url));

interface Measure {
  kind: string;
  count: number;
  bodyMiB: number;
  peakAddedMiB: number;
  outcome: string;
}

function measure(kind: string, count: number, capped: string): Measure {
  const out = execFileSync(process.execPath, ["--expose-gc", "--import", "tsx", CHILD, kind, String(count), capped], {
    encoding: "utf8",
    timeout: 60_000,
  });
  const m = JSON.parse(out.trim().split("\n").at(-1)!) as Measure;
  console.log(
    `parse memory: ${kind} x${count} (${m.bodyMiB.toFixed(2)} MiB): +${m.peakAddedMiB.toFixed(1)} MiB, ${m.outcome}`,
  );
  return m;
}

/** Each `{}` in `[{},{},...]` counts two values (its `{` and the `,` after it). */
const objectsUnder = (maxValues: number) => Math.floor(maxValues / 2);

it("the worst body under each cap adds well under the isolate's 128 MB; past the cap it is refused before parsing", {
  timeout: 120_000,
}, () => {
  const fragment = measure(
    "empty-objects",
    objectsUnder(FRAGMENT_JSON_SHAPE.maxValues),
    JSON.stringify(FRAGMENT_JSON_SHAPE),
  );
  expect(fragment.outcome).toBe("parsed");
  expect(fragment.peakAddedMiB).toBeLessThan(32);

  const otlpJson = measure("empty-objects", objectsUnder(OTLP_JSON_SHAPE.maxValues), JSON.stringify(OTLP_JSON_SHAPE));
  expect(otlpJson.outcome).toBe("parsed");
  expect(otlpJson.peakAddedMiB).toBeLessThan(48);

  const protobuf = measure("protobuf-empty", OTLP_PROTOBUF_SHAPE.maxMessages, "capped");
  expect(protobuf.outcome).toBe("parsed");
  expect(protobuf.peakAddedMiB).toBeLessThan(48);

  // The bombs themselves: refused by the scan, adding next to nothing.
  const bomb = measure("empty-objects", 5_592_000, JSON.stringify(OTLP_JSON_SHAPE));
  expect(bomb.bodyMiB).toBeGreaterThan(15.9);
  expect(bomb.outcome).toMatch(/^refused: .*JSON values/);
  expect(bomb.peakAddedMiB).toBeLessThan(8);
  const protobufBomb = measure("protobuf-empty", 3_000_000, "capped");
  expect(protobufBomb.outcome).toMatch(/^refused: .*OTLP messages/);
  expect(protobufBomb.peakAddedMiB).toBeLessThan(8);

  // What the caps keep out: the same 16 MiB parsed without the scan.
  const uncapped = measure("empty-objects", 5_592_000, "null");
  expect(uncapped.peakAddedMiB).toBeGreaterThan(128);
});
