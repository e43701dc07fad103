import { describe, expect, it } from "vitest";
import { createResampler } from "../../sdk/audio/resampler.ts";
import { fitSine, noise, rms, sine, zeroCrossingFrequency } from "./signal.ts";

function resampleAll(
  input: Int16Array,
  inRate: number,
  outRate: number,
  pieces: number[] = [input.length],
): Int16Array {
  const r = createResampler(inRate, outRate);
  const parts: Int16Array[] = [];
  let offset = 0;
  for (let i = 0; offset < input.length; i++) {
    const size = pieces[i % pieces.length]!;
    parts.push(r.push(input.subarray(offset, offset + size)));
    offset += size;
  }
  parts.push(r.flush());
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) out.set(p, o), (o += p.length);
  return out;
}

describe("resampler", () => {
  for (const [inRate, outRate, freq] of [
    [48000, 16000, 1000],
    [44100, 16000, 3000],
    [24000, 16000, 440],
    [8000, 16000, 1000],
    [22050, 24000, 5000],
  ] as const) {
    it(`keeps a ${freq} Hz sine's frequency, amplitude and SNR from ${inRate} to ${outRate} Hz`, () => {
      const out = resampleAll(sine(inRate, 2, freq, 12000), inRate, outRate, [960, 17, 4410]);
      expect(out.length).toBe(Math.ceil((2 * inRate * outRate) / inRate));
      const from = Math.round(0.1 * outRate),
        to = Math.round(1.9 * outRate);
      const fit = fitSine(out, outRate, freq, from, to);
      expect(Math.abs(fit.amplitude - 12000) / 12000).toBeLessThan(0.01);
      expect(fit.snrDb).toBeGreaterThan(60);
      expect(Math.abs(zeroCrossingFrequency(out, outRate, from, to) - freq)).toBeLessThan(0.5);
    });
  }

  it("removes content above the new Nyquist instead of aliasing it", () => {
    const out = resampleAll(sine(48000, 1, 10000, 12000), 48000, 16000);
    expect(20 * Math.log10(rms(out, 1600, 14400) / (12000 / Math.SQRT2))).toBeLessThan(-50);
  });

  it("keeps time: output sample n is input time n * in / out (a click stays put)", () => {
    const input = new Int16Array(48000);
    input[24000] = 30000; // 0.5 s
    const out = resampleAll(input, 48000, 16000);
    let peak = 0;
    for (let i = 1; i < out.length; i++) if (Math.abs(out[i]!) > Math.abs(out[peak]!)) peak = i;
    expect(peak).toBe(8000);
  });

  it("gives the same output however the input is split", () => {
    const input = noise(30000, 7);
    const whole = resampleAll(input, 44100, 16000);
    expect(resampleAll(input, 44100, 16000, [1, 7, 441, 2000])).toEqual(whole);
  });

  it("passes equal rates through byte-exact", () => {
    const input = noise(5000, 3);
    expect(resampleAll(input, 16000, 16000, [160, 333])).toEqual(input);
  });
});
