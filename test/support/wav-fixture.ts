/** Audio fixtures for forwarding tests, written out here (independent of worker/audio). */
import { createHash } from "node:crypto";
import { wavHeader } from "./wav-bytes.ts";
import { workerApi } from "./worker-api.ts";

/** Interleaved stereo s16le: a ramp on the left (user), a different one negated on the right (assistant). */
export function stereoPcm(frames: number, offset = 0): Uint8Array {
  const pcm = new Int16Array(frames * 2);
  for (let i = 0; i < frames; i++) {
    pcm[2 * i] = ((i + offset) * 37) % 32000;
    pcm[2 * i + 1] = -(((i + offset) * 53) % 32000);
  }
  return new Uint8Array(pcm.buffer);
}

export function expectedWav(sampleRate: number, chunks: Uint8Array[]): Uint8Array {
  const pcm = Buffer.concat(chunks);
  return new Uint8Array(Buffer.concat([wavHeader(sampleRate, pcm.byteLength), pcm]));
}

export const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/** PUTs audio chunks 0..n-1 to the Worker. */
export async function putAudio(
  workerUrl: string,
  key: string,
  id: string,
  sampleRate: number,
  chunks: Uint8Array[],
): Promise<void> {
  const api = workerApi({ baseUrl: workerUrl, key });
  for (const [seq, chunk] of chunks.entries()) {
    const res = await api.putAudio(id, seq, chunk, { sampleRate });
    if (res.status !== 200) throw new Error(`audio chunk ${seq}: ${res.status} ${await res.text()}`);
  }
}
