/** The marker check of the call-audio tests: each marker where it was heard, and only on its own channel. */
import { expect } from "vitest";
import { onset } from "./signal.ts";

export interface MarkerCheck {
  /** Sample rate of both channels. */
  rate: number;
  /** Loudness a marker's onset crosses. */
  threshold: number;
  /** How far (s) either side of its time a marker is looked for. */
  windowS: number;
}

/** Expects each marker (seconds into the call) on `on` within 20 ms of its time, and none on `off`. */
export function expectMarkers(markers: number[], on: Int16Array, off: Int16Array, check: MarkerCheck): void {
  const { rate, threshold, windowS } = check;
  for (const m of markers) {
    const from = Math.round((m - windowS) * rate),
      to = Math.round((m + windowS) * rate);
    const found = onset(on, threshold, from, to);
    expect(found, `marker at ${m} s`).toBeGreaterThanOrEqual(0);
    expect(Math.abs(found / rate - m) * 1000, `marker at ${m} s is off by (ms)`).toBeLessThanOrEqual(20);
    expect(onset(off, threshold, from, to), `marker at ${m} s leaked onto the other channel`).toBe(-1);
  }
}
