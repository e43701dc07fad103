/**
 * A fragment's events are encoded once, for both the session's caps and storage: the byte count must be
 * exactly that of `JSON.stringify(events)` (what the caps promise), and the rows must hold every event in order.
 */
import fc from "fast-check";
import { expect, it } from "vitest";
import type { SessionEvent } from "../../sdk/protocol.ts";
import { eventRows } from "../../worker/session/fragments.ts";

const event = fc.record({
  kind: fc.constant("transcript"),
  role: fc.constantFrom("user", "assistant"),
  text: fc.oneof(
    fc.string({ unit: "grapheme", maxLength: 30 }),
    fc.integer({ min: 0, max: 300_000 }).map((n) => "é".repeat(n)),
  ),
  startedAt: fc.constant("2026-11-25T12:00:00.000Z"),
  endedAt: fc.constant("2026-11-25T12:00:01.000Z"),
}) as fc.Arbitrary<SessionEvent>;

it("counts the bytes of the events' JSON exactly and splits them into rows that hold every event in order", () => {
  fc.assert(
    fc.property(fc.array(event, { maxLength: 12 }), (events) => {
      const { rows, bytes } = eventRows(events);
      expect(bytes).toBe(new TextEncoder().encode(JSON.stringify(events)).byteLength);
      expect(rows.flatMap((row) => JSON.parse(row) as SessionEvent[])).toEqual(events);
      for (const row of rows)
        if ((JSON.parse(row) as unknown[]).length > 1)
          expect(new TextEncoder().encode(row).byteLength).toBeLessThanOrEqual(512 * 1024);
    }),
    { numRuns: 200 },
  );
});
