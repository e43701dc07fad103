/**
 * Test-side μ-law encoding and the call's signals, shared by the Twilio side (Node) and the agent
 * (the Worker entry in workerd). Runtime-neutral: no Node APIs.
 */
export const RATE = 8000;
export const FRAME_SAMPLES = 160; // 20 ms, as Twilio sends them

/** G.711 μ-law encoding of one 16-bit sample (the Sun reference algorithm: bias 0x84, clip 32635). */
export function linearToMulaw(sample: number): number {
  const sign = sample < 0 ? 0x80 : 0;
  let x = Math.min(Math.abs(sample), 32635) + 0x84;
  let exponent = 7;
  for (let mask = 0x4000; (x & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  const mantissa = (x >> (exponent + 3)) & 0x0f;
  x = sign | (exponent << 4) | mantissa;
  return ~x & 0xff;
}

export function encodeMulaw(pcm: Int16Array): Uint8Array {
  return Uint8Array.from(pcm, linearToMulaw);
}

/** Base64 μ-law, as a Media Streams `media.payload`. */
export function payloadOf(pcm: Int16Array): string {
  let binary = "";
  for (const byte of encodeMulaw(pcm)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/**
 * What an app sends Twilio to speak `pcm`: 20 ms media messages with a mark named `${markPrefix}:${i}`
 * after every 100 ms of audio, as many apps send them to follow playback.
 */
export function speechMessages(streamSid: string, pcm: Int16Array, markPrefix: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < pcm.length; i += FRAME_SAMPLES) {
    const payload = payloadOf(pcm.subarray(i, i + FRAME_SAMPLES));
    out.push(JSON.stringify({ event: "media", streamSid, media: { payload } }));
    if ((i / FRAME_SAMPLES) % 5 === 4)
      out.push(JSON.stringify({ event: "mark", streamSid, mark: { name: `${markPrefix}:${i}` } }));
  }
  return out;
}

/** Marker bursts: loud, short, at a frequency of their own, so their onsets are found to the sample. */
export const MARKER_AMPLITUDE = 16000;
export const SPEECH_AMPLITUDE = 3000;
export const MARKER_MS = 60;

/**
 * "Speech": a quiet tone of `hz` for `seconds`, with a loud burst (`markerHz`) starting at each of
 * `markers` (seconds from the utterance's start).
 */
export function utterance(seconds: number, markers: number[], hz: number, markerHz: number): Int16Array {
  const pcm = new Int16Array(Math.round(seconds * RATE));
  for (let i = 0; i < pcm.length; i++) pcm[i] = Math.round(SPEECH_AMPLITUDE * Math.sin((2 * Math.PI * hz * i) / RATE));
  for (const m of markers) {
    const from = Math.round(m * RATE);
    const to = Math.min(pcm.length, from + Math.round((MARKER_MS / 1000) * RATE));
    for (let i = from; i < to; i++)
      pcm[i] = Math.round(MARKER_AMPLITUDE * Math.sin((2 * Math.PI * markerHz * (i - from)) / RATE + Math.PI / 2));
  }
  return pcm;
}

/** The recorded-format conversation both sides play (times in ms from the stream's start). */
export const CALL = {
  /** The caller speaks here (left channel), each with one marker burst. */
  callerSpeech: [
    { atMs: 1500, seconds: 1.0, markers: [0.3] },
    { atMs: 3800, seconds: 0.8, markers: [0.1] },
  ],
  /** The agent greets on `start`: 1.2 s with a marker at 0.4 s, then mark "greeting". */
  greeting: { seconds: 1.2, markers: [0.4], mark: "greeting" },
  /** Once caller audio with timestamp >= 2600 ms arrives: a 3 s answer, markers at 0.5 s and 1.9 s, then mark "answer". */
  answer: { afterMs: 2600, seconds: 3.0, markers: [0.5, 1.9], mark: "answer" },
  /** Once caller audio with timestamp >= 4000 ms arrives (the caller talks over the answer): `clear`. */
  bargeInAfterMs: 4000,
  /** The caller presses 7 at 5000 ms; the agent acknowledges: 0.6 s, marker at 0.2 s, mark "dtmf-ack". */
  dtmf: { atMs: 5000, digit: "7" },
  dtmfAck: { seconds: 0.6, markers: [0.2], mark: "dtmf-ack" },
  stopAtMs: 6200,
  callerHz: 1000,
  callerMarkerHz: 1500,
  agentHz: 440,
  agentMarkerHz: 2000,
} as const;
