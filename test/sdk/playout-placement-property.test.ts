/**
 * PlayoutPlacement under any sequence of calls, usable numbers or not (NaN, Infinity, negative, huge):
 * no sample is handed out twice, out of order or without being pushed; handed-out audio has a real time;
 * and at the end every pushed sample was either handed out or counted as cut - none is stuck or lost.
 */
import fc from "fast-check";
import { expect, it } from "vitest";
import { PlayoutPlacement, type PlacedAudio } from "../../sdk/audio/placement.ts";

const RATE = 1000;
const num = fc.oneof(
  fc.double({ min: -1e4, max: 1e5, noNaN: false }),
  fc.constantFrom(Number.NaN, Infinity, -Infinity, 0),
);
const op = fc.oneof(
  fc.record({ k: fc.constant("push"), n: fc.integer({ min: 0, max: 300 }), t: num }),
  fc.record({ k: fc.constant("release"), t: num }),
  fc.record({ k: fc.constant("shift"), t: num }),
  fc.record({ k: fc.constant("startAt"), t: num }),
  fc.record({ k: fc.constant("played"), a: num, b: num, t: num }),
  fc.record({ k: fc.constant("cutAtPosition"), t: num }),
  fc.record({ k: fc.constant("cut"), t: num }),
  fc.record({ k: fc.constant("flush") }),
);

type Op =
  | { k: "push"; n: number; t: number }
  | { k: "release" | "shift" | "startAt" | "cutAtPosition" | "cut"; t: number }
  | { k: "played"; a: number; b: number; t: number }
  | { k: "flush" };

it("never hands out a sample twice or out of order, nor one that was not pushed, whatever the calls", () => {
  fc.assert(
    fc.property(fc.array(op, { maxLength: 60 }), fc.integer({ min: 0, max: 400 }), (ops, hold) => {
      const p = new PlayoutPlacement({ holdMs: hold, pauseMs: 20 });
      let pushed = 0;
      let handed = 0;
      let next = 0; // value of the next sample expected to be handed out (samples are numbered in push order)
      const check = (parts: PlacedAudio[]) => {
        for (const part of parts) {
          for (const s of part.pcm) {
            expect(s).toBeGreaterThanOrEqual(next); // skipped samples are fine, going back is not
            expect(s).toBeLessThan(pushed);
            next = s + 1;
          }
          handed += part.pcm.length;
          if (part.pcm.length > 0) expect(Number.isFinite(part.atMs)).toBe(true);
        }
      };
      for (const o of ops as Op[]) {
        if (o.k === "push") {
          p.push(
            Int16Array.from({ length: o.n }, (_, i) => (pushed + i) % 32768),
            RATE,
            o.t,
          );
          pushed += o.n;
          if (pushed >= 32768) return;
        } else if (o.k === "shift") p.shift(o.t);
        else if (o.k === "startAt") p.startAt(o.t);
        else if (o.k === "played") check(p.played(o.a, o.b, o.t));
        else if (o.k === "flush") check(p.flush());
        else check(p[o.k](o.t));
      }
      check(p.flush());
      // Conservation: every pushed sample was handed out once or counted as cut (never played); none is stuck.
      expect(p.pending).toBe(false);
      expect(handed + Math.round(p.stats.cutMs)).toBe(pushed);
    }),
    { numRuns: 1000 },
  );
});
