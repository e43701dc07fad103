/**
 * Wire cost of a call: bytes the SDK sends per second of call (fragment bodies as sent, with its gzip,
 * plus audio request bodies), vs raw stereo PCM and vs the plain JSON of the same events.
 * Runs the real SDK (Node) with a fetch that records every request in-process (no network).
 * Headers are not counted (HTTP/2 compresses them); request counts are reported.
 */
import { acknowledged, offlineTracer } from "./lib/offline-tracer.ts";
import {
  eventsOfSecond,
  FRAME_SAMPLES,
  monoFrame,
  SAMPLE_RATE,
  STEREO_PCM_BYTES_PER_SECOND,
} from "./lib/call-model.ts";

export interface WireResult {
  callSeconds: number;
  compression: boolean;
  fragmentRequests: number;
  fragmentBytes: number;
  audioRequests: number;
  audioBytes: number;
  /** Bytes per second of call the SDK put on the wire (bodies). */
  sdkBytesPerSecond: number;
  /** JSON.stringify of the events themselves, per second of call. */
  eventsJsonBytesPerSecond: number;
  eventBodyBytesPerSecond: number;
  pcmBytesPerSecond: number;
  /** Whether the SDK sent the audio it was given (false: no audio addon in this build). */
  audioSent: boolean;
}

export async function runWire(callSeconds = 120, compression = true): Promise<WireResult> {
  let fragmentRequests = 0;
  let fragmentBytes = 0;
  let audioRequests = 0;
  let audioBytes = 0;
  const size = (body: BodyInit | null | undefined): number =>
    body == null
      ? 0
      : typeof body === "string"
        ? new TextEncoder().encode(body).byteLength
        : body instanceof Uint8Array
          ? body.byteLength
          : body instanceof ArrayBuffer
            ? body.byteLength
            : 0;
  const fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = String(input instanceof Request ? input.url : input);
    if (/\/audio\//.test(url)) {
      audioRequests++;
      audioBytes += size(init?.body);
    } else if (/\/fragments$/.test(url)) {
      fragmentRequests++;
      fragmentBytes += size(init?.body);
    }
    return acknowledged();
  };
  const tracer = offlineTracer({ fetch, compression });
  const s = tracer.observe({ sessionId: `wire-${crypto.randomUUID()}` });
  const start = Date.now();
  const frame = monoFrame();
  let eventsJson = 0;
  for (let sec = 0; sec < callSeconds; sec++) {
    for (const e of eventsOfSecond(sec, start)) {
      eventsJson += JSON.stringify(e).length;
      if (e.kind === "transcript")
        s.transcript({
          role: e.role,
          text: e.text,
          startedAt: Date.parse(e.startedAt),
          endedAt: Date.parse(e.endedAt),
        });
      else if (e.kind === "tool_call") s.toolCall({ id: e.id, name: e.name, arguments: JSON.parse(e.arguments) });
      else if (e.kind === "tool_result") s.toolResult({ id: e.id, name: e.name, result: JSON.parse(e.result) });
      else if (e.kind === "log") s.log(e.level, e.message, e.attributes);
    }
    for (let f = 0; f < SAMPLE_RATE / FRAME_SAMPLES; f++) {
      s.audio("user", frame, SAMPLE_RATE);
      s.audio("assistant", frame, SAMPLE_RATE);
    }
    // Let the flusher run once per simulated second (as its 1 s timer would; the loop runs faster than real time).
    await s.flush();
  }
  await s.close().catch(() => undefined);
  return {
    callSeconds,
    compression,
    fragmentRequests,
    fragmentBytes,
    audioRequests,
    audioBytes,
    sdkBytesPerSecond: (fragmentBytes + audioBytes) / callSeconds,
    eventsJsonBytesPerSecond: eventsJson / callSeconds,
    eventBodyBytesPerSecond: fragmentBytes / callSeconds,
    pcmBytesPerSecond: STEREO_PCM_BYTES_PER_SECOND,
    audioSent: audioRequests > 0,
  };
}
