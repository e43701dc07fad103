/**
 * WAV bytes for tests, written out here with web-standard types (independent of worker/audio), so the same
 * fixture serves tests in workerd and in Node.
 */

/** The canonical 44-byte header of a 16-bit stereo PCM WAV holding `dataBytes` bytes. */
export function wavHeader(sampleRate: number, dataBytes: number): Uint8Array {
  const b = new Uint8Array(44);
  const v = new DataView(b.buffer);
  const text = (at: number, s: string) => [...s].forEach((c, i) => (b[at + i] = c.charCodeAt(0)));
  text(0, "RIFF");
  v.setUint32(4, 36 + dataBytes, true);
  text(8, "WAVEfmt ");
  v.setUint32(16, 16, true);
  v.setUint16(20, 1, true);
  v.setUint16(22, 2, true);
  v.setUint32(24, sampleRate, true);
  v.setUint32(28, sampleRate * 4, true);
  v.setUint16(32, 4, true);
  v.setUint16(34, 16, true);
  text(36, "data");
  v.setUint32(40, dataBytes, true);
  return b;
}

/** `bytes` of stereo s16le frames: a square wave (16 frames a half period) of `left` on the user channel, `right` on the assistant's. */
export function squareWave(bytes: number, left: number, right: number): Uint8Array {
  const out = new Uint8Array(bytes);
  const v = new DataView(out.buffer);
  for (let i = 0; i + 4 <= bytes; i += 4) {
    const sign = (i >> 6) & 1 ? -1 : 1;
    v.setInt16(i, sign * left, true);
    v.setInt16(i + 2, sign * right, true);
  }
  return out;
}

/** A whole 16-bit stereo WAV whose frames hold `left[i]` (user) and `right[i]` (assistant). */
export function stereoWav(left: number[], right: number[], sampleRate = 8000): Uint8Array {
  const bytes = new Uint8Array(44 + left.length * 4);
  bytes.set(wavHeader(sampleRate, left.length * 4));
  const v = new DataView(bytes.buffer);
  left.forEach((s, i) => {
    v.setInt16(44 + i * 4, s, true);
    v.setInt16(46 + i * 4, right[i]!, true);
  });
  return bytes;
}
