/**
 * The playout placement's corrections, which the Twilio and LiveKit adapters build on: a shift learned
 * later (a mark echo), a start an output reports, a range an output reports as played, and a cut at a
 * position in what was pushed. Pure: times are ms on the caller's clock, audio is 1 kHz so 1 sample = 1 ms.
 */
import { describe, expect, it } from "vitest";
import { PlayoutPlacement, type PlacedAudio } from "../../sdk/audio/placement.ts";

const RATE = 1000;
/** `n` samples whose values are their positions from `from` (so what was kept can be read back). */
const ramp = (from: number, n: number) => Int16Array.from({ length: n }, (_, i) => from + i);
/** [atMs, first sample value, length] per part. */
const shape = (parts: PlacedAudio[]) => parts.map((p) => [p.atMs, p.pcm[0], p.pcm.length]);

describe("PlayoutPlacement corrections", () => {
  it("shift moves what was not handed out, never before what was", () => {
    const p = new PlayoutPlacement({ holdMs: 0, pauseMs: 0 });
    p.push(ramp(0, 100), RATE, 1000);
    expect(shape(p.release(1040))).toEqual([[1000, 0, 40]]);
    expect(p.shift(25)).toBe(25);
    expect(p.endMs).toBe(1125);
    expect(p.shift(-100)).toBe(-25); // back to where it left off (1040), not before
    expect(shape(p.flush())).toEqual([[1040, 40, 60]]);
  });

  it("startAt places queued audio where an output says playback began", () => {
    const p = new PlayoutPlacement({ holdMs: 0, pauseMs: 20 });
    p.push(ramp(0, 50), RATE, p.endMs);
    p.push(ramp(50, 50), RATE, p.endMs);
    p.startAt(5000);
    expect(p.nextMs).toBe(5000);
    expect(shape(p.flush())).toEqual([
      [5000, 0, 50],
      [5050, 50, 50],
    ]);
  });

  it("played hands out a reported range at its reported time, drops unplayed audio before it and keeps the rest", () => {
    const p = new PlayoutPlacement({ holdMs: 0, pauseMs: 20 });
    p.push(ramp(0, 300), RATE, 0);
    expect(shape(p.played(0, 100, 2000))).toEqual([[2000, 0, 100]]);
    // the output skipped 100..150, then played 150..250 after a stall
    expect(shape(p.played(150, 250, 3000))).toEqual([[3000, 150, 100]]);
    expect(p.stats.cutMs).toBe(50);
    expect(p.pending).toBe(true);
    // a repeated report hands out nothing twice
    expect(p.played(150, 250, 3000)).toEqual([]);
  });

  it("cutAtPosition keeps what played before the position, as placed, across runs, and drops the rest", () => {
    const p = new PlayoutPlacement({ holdMs: 0, pauseMs: 20 });
    p.push(ramp(0, 100), RATE, 0);
    p.push(ramp(100, 100), RATE, 500); // the source ran dry: a new run at 500
    expect(shape(p.release(50))).toEqual([[0, 0, 50]]);
    expect(shape(p.cutAtPosition(130))).toEqual([
      [50, 50, 50],
      [500, 100, 30],
    ]);
    expect(p.stats.cutMs).toBe(70);
    expect(p.pending).toBe(false);
    expect(p.endMs).toBe(530);
  });

  it("takes a correction without a usable number as no correction", () => {
    const p = new PlayoutPlacement({ holdMs: 0, pauseMs: 20 });
    p.push(ramp(0, 100), RATE, 1000);
    expect(p.shift(Number.NaN)).toBe(0);
    p.startAt(Number.POSITIVE_INFINITY);
    expect(p.played(0, Number.NaN, 0)).toEqual([]);
    expect(p.cutAtPosition(Number.NaN)).toEqual([]);
    expect(p.stats.cutMs).toBe(0);
    expect(shape(p.flush())).toEqual([[1000, 0, 100]]);
  });
});
