/**
 * SDK audio cost for a 10-minute call of 20 ms frames: user 16 kHz mic frames all call long; assistant
 * 24 kHz TTS frames every other 4 s (resampled, silence-padded between turns). The SDK's audio path
 * (sdk/audio: ring buffers, alignment, resampler, interleave, chunk uploader over the real transport)
 * runs on a simulated clock with an in-process fetch that acknowledges every chunk. Prints:
 * - CPU (user+system) of the audio path as a fraction of the call's duration (real time);
 * - caller-path cost per audio() call, beside a bare copy of the same frame (the floor);
 * - bytes on the wire per second of call (bodies + request line + headers) beside raw stereo PCM;
 * - SDK memory bound: peak bytes held in the recorder's buffers plus the upload queue.
 * `BENCH_JSON {...}` last. Run: npx tsx bench/audio-sdk.ts   (BENCH_AUDIO_SECONDS=600 by default)
 */
import { createAudioAddon } from "../sdk/audio/audio-addon.ts";
import type { SessionContext } from "../sdk/session.ts";
import { createTransport } from "../sdk/transport.ts";

const CALL_SECONDS = Number(process.env.BENCH_AUDIO_SECONDS ?? 600);
const SESSION_RATE = 16_000;
let wireBytes = 0;
let bodyBytes = 0;
const ack = () =>
  new Response('{"ackedThrough":0,"missing":[],"bytes":0}', {
    status: 200,
    headers: { "content-type": "application/json" },
  });
const fetch = async (input: string | URL | Request, init?: RequestInit) => {
  const url = new URL(String(input));
  const body = init?.body instanceof Uint8Array ? init.body.byteLength : 0;
  let head = `${init?.method ?? "GET"} ${url.pathname} HTTP/1.1\r\nhost: ${url.host}\r\ncontent-length: ${body}\r\n\r\n`
    .length;
  new Headers(init?.headers).forEach((v, k) => (head += k.length + v.length + 4));
  wireBytes += head + body;
  bodyBytes += body;
  return ack();
};

async function runCall(seconds: number, assistantRate: number) {
  let clock = 0;
  const ctx: SessionContext = {
    id: "bench",
    mode: "observe",
    agentId: 42,
    deferUpload: undefined,
    callStartedAt: new Date(0).toISOString(),
    startedAtPerf: 0,
    basePath: "/v1/sessions/bench",
    transport: createTransport({ ingestUrl: "http://127.0.0.1:9", apiKey: "bench-key", fetch }),
    env: undefined as never,
    enableOtelTraces: false,
    report: (e) => console.error("report", e),
  };
  const audio = createAudioAddon(ctx, { sampleRate: SESSION_RATE, clock: () => clock });
  const userFrame = new Int16Array(320).map((_, i) => Math.round(8000 * Math.sin(i / 5)));
  const ttsFrame = new Int16Array(assistantRate / 50).map((_, i) => Math.round(8000 * Math.sin(i / 7)));
  wireBytes = 0;
  bodyBytes = 0;
  let peakBuffered = 0;
  let callerMs = 0;
  let calls = 0;
  const cpu0 = process.cpuUsage();
  for (let f = 0; f < seconds * 50; f++) {
    clock = f * 20;
    const speaking = Math.floor(f / 200) % 2 === 1;
    const c0 = performance.now();
    audio.push("user", userFrame, 16_000, clock);
    if (speaking) audio.push("assistant", ttsFrame, assistantRate, clock);
    callerMs += performance.now() - c0;
    calls += speaking ? 2 : 1;
    // Let the event loop turn every 250 ms of call, as it would in real time (the pump's timer).
    if (f % 12 === 11) {
      await new Promise((r) => setTimeout(r, 0));
      peakBuffered = Math.max(peakBuffered, audio.stats().bufferedBytes);
      if (f % 120 === 119) await audio.flush?.();
    }
  }
  const close = await audio.beforeClose?.();
  const cpu = process.cpuUsage(cpu0);
  const stats = audio.stats();
  return {
    cpuMs: (cpu.user + cpu.system) / 1000,
    callerNs: (callerMs * 1e6) / calls,
    peakBuffered,
    stats,
    close,
    wireBytes,
    bodyBytes,
  };
}

function bareCopyNs(): number {
  const frame = new Int16Array(320);
  const n = 300_000;
  let keep = 0;
  const t = performance.now();
  for (let i = 0; i < n; i++) keep += frame.slice().length;
  if (keep === 1) console.log();
  return ((performance.now() - t) * 1e6) / n;
}

bareCopyNs(); // warm-up
const floorNs = bareCopyNs();
await runCall(20, 24_000); // warm-up
const resampled = await runCall(CALL_SECONDS, 24_000);
const passthrough = await runCall(CALL_SECONDS, 16_000);
const rawStereoPerSecond = SESSION_RATE * 2 * 2;
const result = {
  callSeconds: CALL_SECONDS,
  sessionRate: SESSION_RATE,
  cpuFractionOfRealTime: {
    resampled24k: resampled.cpuMs / (CALL_SECONDS * 1000),
    passthrough16k: passthrough.cpuMs / (CALL_SECONDS * 1000),
  },
  cpuMs: { resampled24k: resampled.cpuMs, passthrough16k: passthrough.cpuMs },
  callerNsPerAudioCall: {
    resampled24k: resampled.callerNs,
    passthrough16k: passthrough.callerNs,
    bareFrameCopy: floorNs,
  },
  wireBytesPerSecond: resampled.wireBytes / CALL_SECONDS,
  rawStereoPcmBytesPerSecond: rawStereoPerSecond,
  wireOverRawRatio: resampled.wireBytes / CALL_SECONDS / rawStereoPerSecond,
  bodyOverRawRatio: resampled.bodyBytes / CALL_SECONDS / rawStereoPerSecond,
  chunks: resampled.stats.chunksSent,
  lastAudioSeq: resampled.close && "lastAudioSeq" in resampled.close ? resampled.close.lastAudioSeq : undefined,
  sdkPeakBufferedBytes: { resampled24k: resampled.peakBuffered, passthrough16k: passthrough.peakBuffered },
  droppedSamples: resampled.stats.droppedSamples + passthrough.stats.droppedSamples,
};
console.log(
  `audio path CPU, ${CALL_SECONDS} s call: ${(100 * result.cpuFractionOfRealTime.resampled24k).toFixed(2)}% of real time with a 24 kHz assistant (resampled), ${(100 * result.cpuFractionOfRealTime.passthrough16k).toFixed(2)}% at 16 kHz (passthrough)`,
);
console.log(
  `caller path per audio() call: ${result.callerNsPerAudioCall.resampled24k.toFixed(0)} ns (an allocating copy, pcm.slice(), of the same frame: ${floorNs.toFixed(0)} ns)`,
);
console.log(
  `wire: ${result.wireBytesPerSecond.toFixed(0)} B/s of call vs raw stereo PCM ${rawStereoPerSecond} B/s (ratio ${result.wireOverRawRatio.toFixed(4)}; bodies alone ${result.bodyOverRawRatio.toFixed(4)}) in ${result.chunks} chunks`,
);
console.log(
  `SDK memory bound: peak ${result.sdkPeakBufferedBytes.resampled24k} B buffered (resampled), ${result.sdkPeakBufferedBytes.passthrough16k} B (passthrough); dropped samples ${result.droppedSamples}`,
);
console.log(`BENCH_JSON ${JSON.stringify(result)}`);
