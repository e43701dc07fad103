export interface WavCheck {
  sampleRate: number;
  channels: number;
  data: Uint8Array;
}

/** Parses a canonical 44-byte-header PCM WAV by hand, checking every size field. */
export function parseWavStrict(bytes: Uint8Array): WavCheck {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const ascii = (o: number) => String.fromCharCode(...bytes.subarray(o, o + 4));
  const fail = (what: string) => {
    throw new Error(`bad WAV: ${what}`);
  };
  if (ascii(0) !== "RIFF" || ascii(8) !== "WAVE" || ascii(12) !== "fmt " || ascii(36) !== "data") fail("chunk ids");
  if (view.getUint32(4, true) !== bytes.byteLength - 8) fail("RIFF size");
  if (view.getUint32(16, true) !== 16 || view.getUint16(20, true) !== 1) fail("fmt is not 16-byte PCM");
  const channels = view.getUint16(22, true);
  const sampleRate = view.getUint32(24, true);
  if (view.getUint16(34, true) !== 16) fail("bits per sample");
  if (view.getUint32(28, true) !== sampleRate * channels * 2 || view.getUint16(32, true) !== channels * 2)
    fail("byte rate / block align");
  if (view.getUint32(40, true) !== bytes.byteLength - 44) fail("data size");
  return { sampleRate, channels, data: bytes.subarray(44) };
}
