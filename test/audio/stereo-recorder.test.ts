import { describe, expect, it } from "vitest";
import { StereoRecorder } from "../../sdk/audio/stereo-recorder.ts";
import { SampleRing } from "../../sdk/audio/ring-buffer.ts";
import { deinterleave, onset } from "./signal.ts";

const join = (chunks: Uint8Array[]) => {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let o = 0;
  for (const c of chunks) out.set(c, o), (o += c.byteLength);
  return out;
};
const click = (n: number, at: number, value = 20000) => {
  const a = new Int16Array(n);
  a[at] = value;
  return a;
};

describe("stereo recorder", () => {
  it("places audio by its start time, filling gaps and the silent channel with zeros", () => {
    const r = new StereoRecorder({ sampleRate: 16000, chunkMs: 100 });
    r.push("user", click(160, 0), 16000, 1000); // click at 1.000 s
    r.push("user", click(160, 0), 16000, 2500); // after a gap, at 2.500 s
    r.push("assistant", click(480, 0), 48000, 1800); // 48 kHz, at 1.800 s
    const chunks = [...r.pump(0), ...r.finish()];
    const { left, right } = deinterleave(join(chunks));
    expect(left.length).toBe(Math.round(2.51 * 16000));
    expect(onset(left, 1000)).toBe(16000);
    expect(onset(left, 1000, 16001)).toBe(40000);
    expect(onset(right, 1000)).toBe(1800 * 16);
    expect(chunks.slice(0, -1).every((c) => c.byteLength === 1600 * 4)).toBe(true);
  });

  it("appends bursts that arrive faster than real time back to back (TTS)", () => {
    const r = new StereoRecorder({ sampleRate: 16000, chunkMs: 1000 });
    // Three 100 ms frames all stamped 5.0 s: they play one after another.
    for (let i = 0; i < 3; i++) r.push("assistant", click(1600, 0), 16000, 5000);
    const { right } = deinterleave(join(r.finish()));
    expect([onset(right, 1000), onset(right, 1000, 80001), onset(right, 1000, 81601)]).toEqual([80000, 81600, 83200]);
  });

  it("treats clock jitter within the tolerance as contiguous (no inserted silence)", () => {
    const r = new StereoRecorder({ sampleRate: 16000, gapToleranceMs: 10 });
    const frame = new Int16Array(320).fill(1000);
    for (let f = 0; f < 50; f++) r.push("user", frame, 16000, f * 20 + (f % 2 ? 6 : 0));
    const { left } = deinterleave(join(r.finish()));
    expect(left.length).toBe(50 * 320);
    expect(left.every((v) => v === 1000)).toBe(true);
  });

  it("holds output only until now - hold: a channel nobody speaks on does not hold the other back", () => {
    const r = new StereoRecorder({ sampleRate: 16000, chunkMs: 1000, holdMs: 500 });
    for (let s = 0; s < 10; s++) r.push("user", new Int16Array(16000).fill(7), 16000, s * 1000);
    expect(r.pump(0)).toEqual([]); // the assistant may still send audio for second 0
    const chunks = r.pump(10_000); // now = 10 s: everything before 9.5 s is settled
    expect(chunks.length).toBe(9);
    const { left, right } = deinterleave(join(chunks));
    expect(left.every((v) => v === 7) && right.every((v) => v === 0)).toBe(true);
  });

  it("refuses (and counts) input beyond its bound instead of growing without limit", () => {
    const r = new StereoRecorder({ maxInputSeconds: 1 });
    expect(r.push("user", new Int16Array(48000), 48000, 0)).toBe(true);
    expect(r.push("user", new Int16Array(10), 48000, 1000)).toBe(false);
    expect(r.droppedSamples).toBe(10);
  });
});

describe("sample ring", () => {
  it("keeps FIFO order across wrap-around and growth", () => {
    const ring = new SampleRing(16);
    let next = 0;
    let expected = 0;
    for (let round = 0; round < 50; round++) {
      const n = (round * 7) % 23;
      ring.write(Int16Array.from({ length: n }, () => next++));
      const take = Math.min(ring.length, (round * 5) % 19);
      for (const v of ring.read(take)) expect(v).toBe(expected++);
    }
    for (const v of ring.read(ring.length)) expect(v).toBe(expected++);
    expect(expected).toBe(next);
  });
});
