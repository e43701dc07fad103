/** Little-endian hosts can copy Int16Array memory as s16le directly. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Interleaves left (user) and right (assistant) mono frames into stereo s16le bytes. */
export function interleaveStereo(left: Int16Array, right: Int16Array): Uint8Array {
  if (left.length !== right.length)
    throw new RangeError(`channels differ in length: ${left.length} vs ${right.length}`);
  const frames = left.length;
  const out = new Uint8Array(frames * 4);
  if (LITTLE_ENDIAN) {
    const samples = new Int16Array(out.buffer);
    for (let i = 0; i < frames; i++) {
      samples[2 * i] = left[i]!;
      samples[2 * i + 1] = right[i]!;
    }
  } else {
    const view = new DataView(out.buffer);
    for (let i = 0; i < frames; i++) {
      view.setInt16(4 * i, left[i]!, true);
      view.setInt16(4 * i + 2, right[i]!, true);
    }
  }
  return out;
}

/** Bytes (s16le) as Int16 samples; copies when unaligned or on a big-endian host. */
export function bytesToSamples(bytes: Uint8Array): Int16Array {
  if (bytes.byteLength % 2 !== 0)
    throw new RangeError(`s16le PCM has an even number of bytes, got ${bytes.byteLength}`);
  if (LITTLE_ENDIAN) {
    if (bytes.byteOffset % 2 === 0) return new Int16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2);
    return new Int16Array(bytes.slice().buffer);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Int16Array(bytes.byteLength / 2);
  for (let i = 0; i < out.length; i++) out[i] = view.getInt16(2 * i, true);
  return out;
}
