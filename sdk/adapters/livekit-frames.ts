/** LiveKit audio frames as the recording sees them (structurally, so no runtime import is needed). */
export interface AudioFrameLike {
  data: Int16Array;
  sampleRate: number;
  channels: number;
  samplesPerChannel: number;
}

/** The first channel of an interleaved frame. */
export function monoOf(frame: AudioFrameLike): Int16Array {
  if (frame.channels <= 1) return frame.data.subarray(0, frame.samplesPerChannel);
  const mono = new Int16Array(frame.samplesPerChannel);
  for (let i = 0; i < mono.length; i++) mono[i] = frame.data[i * frame.channels]!;
  return mono;
}
