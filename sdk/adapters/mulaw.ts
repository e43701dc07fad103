/**
 * G.711 μ-law (8-bit, as telephony streams carry it) to 16-bit linear PCM, by a 256-entry table built
 * once: bits inverted, sign in bit 7, a 3-bit exponent and a 4-bit mantissa, bias 0x84 (ITU-T G.711).
 */
const BIAS = 0x84;

const TABLE: Int16Array = (() => {
  const table = new Int16Array(256);
  for (let code = 0; code < 256; code++) {
    const u = ~code & 0xff;
    const magnitude = ((((u & 0x0f) << 3) + BIAS) << ((u & 0x70) >> 4)) - BIAS;
    table[code] = u & 0x80 ? -magnitude : magnitude;
  }
  return table;
})();

/** One μ-law byte as a linear sample. */
export function mulawToLinear(code: number): number {
  return TABLE[code & 0xff]!;
}

/** μ-law bytes as linear PCM samples. */
export function decodeMulaw(bytes: Uint8Array): Int16Array {
  const pcm = new Int16Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) pcm[i] = TABLE[bytes[i]!]!;
  return pcm;
}

/** A base64 μ-law payload (Media Streams' `media.payload`) as linear PCM; throws on invalid base64. */
export function decodeMulawBase64(payload: string): Int16Array {
  const binary = atob(payload);
  const pcm = new Int16Array(binary.length);
  for (let i = 0; i < binary.length; i++) pcm[i] = TABLE[binary.charCodeAt(i) & 0xff]!;
  return pcm;
}
