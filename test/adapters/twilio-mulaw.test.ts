/**
 * The G.711 μ-law decoder against an independent reference: every one of the 256 codes, as CPython's
 * audioop.ulaw2lin (derived from the Sun reference implementation of G.711) decodes them.
 */
import { describe, expect, it } from "vitest";
import { decodeMulaw, decodeMulawBase64, mulawToLinear } from "../../sdk/adapters/mulaw.ts";
import { encodeMulaw, linearToMulaw } from "./twilio-codec.ts";

// audioop.ulaw2lin(bytes(range(256)), 2), as Python 3.11 prints it.
const REFERENCE = [
  -32124, -31100, -30076, -29052, -28028, -27004, -25980, -24956, -23932, -22908, -21884, -20860, -19836, -18812,
  -17788, -16764, -15996, -15484, -14972, -14460, -13948, -13436, -12924, -12412, -11900, -11388, -10876, -10364, -9852,
  -9340, -8828, -8316, -7932, -7676, -7420, -7164, -6908, -6652, -6396, -6140, -5884, -5628, -5372, -5116, -4860, -4604,
  -4348, -4092, -3900, -3772, -3644, -3516, -3388, -3260, -3132, -3004, -2876, -2748, -2620, -2492, -2364, -2236, -2108,
  -1980, -1884, -1820, -1756, -1692, -1628, -1564, -1500, -1436, -1372, -1308, -1244, -1180, -1116, -1052, -988, -924,
  -876, -844, -812, -780, -748, -716, -684, -652, -620, -588, -556, -524, -492, -460, -428, -396, -372, -356, -340,
  -324, -308, -292, -276, -260, -244, -228, -212, -196, -180, -164, -148, -132, -120, -112, -104, -96, -88, -80, -72,
  -64, -56, -48, -40, -32, -24, -16, -8, 0, 32124, 31100, 30076, 29052, 28028, 27004, 25980, 24956, 23932, 22908, 21884,
  20860, 19836, 18812, 17788, 16764, 15996, 15484, 14972, 14460, 13948, 13436, 12924, 12412, 11900, 11388, 10876, 10364,
  9852, 9340, 8828, 8316, 7932, 7676, 7420, 7164, 6908, 6652, 6396, 6140, 5884, 5628, 5372, 5116, 4860, 4604, 4348,
  4092, 3900, 3772, 3644, 3516, 3388, 3260, 3132, 3004, 2876, 2748, 2620, 2492, 2364, 2236, 2108, 1980, 1884, 1820,
  1756, 1692, 1628, 1564, 1500, 1436, 1372, 1308, 1244, 1180, 1116, 1052, 988, 924, 876, 844, 812, 780, 748, 716, 684,
  652, 620, 588, 556, 524, 492, 460, 428, 396, 372, 356, 340, 324, 308, 292, 276, 260, 244, 228, 212, 196, 180, 164,
  148, 132, 120, 112, 104, 96, 88, 80, 72, 64, 56, 48, 40, 32, 24, 16, 8, 0,
];

describe("G.711 μ-law decoding", () => {
  it("decodes every code to the reference implementation's value", () => {
    const decoded = decodeMulaw(Uint8Array.from({ length: 256 }, (_, i) => i));
    expect(Array.from(decoded)).toEqual(REFERENCE);
    expect(mulawToLinear(0x00)).toBe(-32124);
    expect(mulawToLinear(0x80)).toBe(32124);
    expect(mulawToLinear(0xff)).toBe(0);
    expect(mulawToLinear(0x7f)).toBe(0);
  });

  it("decodes a base64 payload as Media Streams carries it", () => {
    const bytes = Uint8Array.from([0x00, 0x80, 0xff, 0xef, 0x6f, 0x12]);
    const payload = btoa(String.fromCharCode(...bytes));
    expect(Array.from(decodeMulawBase64(payload))).toEqual(Array.from(bytes, (b) => REFERENCE[b]));
    expect(() => decodeMulawBase64("not base64!")).toThrow();
  });

  it("round-trips the tests' encoder: it matches audioop.lin2ulaw and every code decodes back to itself", () => {
    // audioop.lin2ulaw of these samples, as Python 3.11 prints it (not -1..-3: audioop shifts before the
    // bias and rounds those to 0x7e, the reference algorithm to 0x7f; both decode to about zero).
    const samples = [-32768, -20000, -1000, -100, 0, 1, 100, 1000, 4000, 20000, 32767];
    expect(samples.map(linearToMulaw)).toEqual([0, 12, 78, 114, 255, 255, 242, 206, 175, 140, 128]);
    for (let code = 0; code < 256; code++) {
      if (code === 0x7f) continue; // negative zero encodes as 0xff
      expect(linearToMulaw(mulawToLinear(code))).toBe(code);
    }
    const tone = Int16Array.from({ length: 800 }, (_, i) =>
      Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 8000)),
    );
    const decoded = decodeMulaw(encodeMulaw(tone));
    for (let i = 0; i < tone.length; i++)
      expect(Math.abs(decoded[i]! - tone[i]!)).toBeLessThanOrEqual(Math.abs(tone[i]!) / 16 + 8);
  });
});
