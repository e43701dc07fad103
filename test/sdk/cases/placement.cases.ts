/**
 * Call audio keeps its true time (issue 25): real-time sources through session.audio() with no `at`,
 * traces on (the SDK's default), through the real local Worker; the finalized WAV is read back and
 * every marker must sit within 20 ms of when it was captured (user) or played (assistant).
 * Skipped in workerd: its clock stands still while code runs, so there is no real-time source to pace.
 */
import { CekuraTracer } from "../../../sdk/index.ts";
import type { CekuraSession } from "../../../sdk/cekura-session.ts";
import { deinterleave } from "../../audio/signal.ts";
import { parseWavStrict } from "../../audio/wav-check.ts";
import {
  FRAME_MS,
  jitterDelays,
  lastAbove,
  markerSignal,
  onsetOf,
  playPaced,
  type PacedOptions,
} from "../../audio/paced-source.ts";
import { ok } from "./assert.ts";
import { getRecord, sid } from "./worker-client.ts";
import type { CaseContext, SdkCase } from "./types.ts";

const RATE = 16_000;
const TTS_RATE = 24_000;
const TOLERANCE_MS = 20;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

interface Call {
  session: CekuraSession;
  /** performance.now() of the session's timeline 0 (observe()). */
  t0Perf: number;
}

function startCall(ctx: CaseContext, name: string): Call {
  // Traces stay on (the default): a tracer's start-up must not move the audio either.
  const cekura = new CekuraTracer({ apiKey: ctx.apiKey, agentId: ctx.agentId, ingestUrl: ctx.ingestUrl });
  const session = cekura.observe({ sessionId: sid(ctx, name) });
  const t0Perf = (session as unknown as { context: { startedAtPerf: number } }).context.startedAtPerf;
  return { session, t0Perf };
}

async function finishCall(ctx: CaseContext, call: Call): Promise<{ left: Int16Array; right: Int16Array }> {
  call.session.transcript({ role: "user", text: "marker call" });
  const status = await call.session.close();
  ok(status.state === "finalized", `close resolves finalized, got ${status.state}`);
  const record = await getRecord(ctx, call.session.id);
  ok(record.audio, `the record names the call's audio: ${JSON.stringify(record.audio)}`);
  const response = await fetch(`${ctx.ingestUrl}/inspect/${encodeURIComponent(call.session.id)}/audio.wav`, {
    headers: { authorization: `Bearer ${ctx.apiKey}` },
  });
  ok(response.status === 200, `GET the WAV: ${response.status}`);
  const wav = parseWavStrict(new Uint8Array(await response.arrayBuffer()));
  ok(wav.sampleRate === RATE && wav.channels === 2, `16 kHz stereo, got ${wav.sampleRate} x ${wav.channels}`);
  return deinterleave(wav.data);
}

/** Each marker (timeline ms) found on `on` within TOLERANCE_MS; errors listed in the message. */
function checkMarkers(on: Int16Array, markersMs: number[], what: string): void {
  const errors = markersMs.map((m) => {
    const found = onsetOf(on, 6000, Math.round(((m - 150) * RATE) / 1000), Math.round(((m + 150) * RATE) / 1000));
    return found < 0 ? Number.NaN : Math.round((found * 1000) / RATE - m);
  });
  ok(
    errors.every((e) => Math.abs(e) <= TOLERANCE_MS),
    `${what}: marker errors (ms, found - true) ${JSON.stringify(errors)} must all be within ±${TOLERANCE_MS} ms`,
  );
}

/** A user microphone of `seconds` with markers, paced in real time through session.audio("user", pcm, rate). */
async function userMarkerCase(ctx: CaseContext, name: string, seconds: number, markers: number[], paced: PacedOptions) {
  const call = startCall(ctx, name);
  const pcm = markerSignal(RATE, seconds, markers);
  const start = await playPaced(pcm, RATE, (frame) => call.session.audio("user", frame, RATE), paced);
  await sleep(100);
  const { left } = await finishCall(ctx, call);
  const offset = start - call.t0Perf;
  const live = markers.filter((m) => {
    const frame = Math.floor((m * 1000) / FRAME_MS);
    return !paced.pause || frame < paced.pause.fromFrame || frame >= paced.pause.toFrame;
  });
  checkMarkers(
    left,
    live.map((m) => offset + m * 1000),
    name,
  );
}

const skip: SdkCase["skip"] = ["workerd"];
const MARKERS = [0.3, 0.9, 1.7, 2.5, 3.3];

export const cases: SdkCase[] = [
  {
    name: "placement: a real-time 20 ms source lands within 20 ms, traces on",
    skip,
    run: (ctx) => userMarkerCase(ctx, "paced", 3.6, MARKERS, {}),
  },
  {
    name: "placement: a seeded 5% of frames delayed up to 150 ms leaves every marker within 20 ms",
    skip,
    run: (ctx) => userMarkerCase(ctx, "jitter", 3.6, MARKERS, { delays: jitterDelays(180, 25) }),
  },
  {
    name: "placement: one 250 ms event-loop stall early in the call leaves every marker within 20 ms",
    skip,
    run: (ctx) => userMarkerCase(ctx, "stall", 3.6, MARKERS, { stallMs: 250, stallAfterFrame: 10 }),
  },
  {
    name: "placement: a source that pauses 2 s and resumes starts again at its true time",
    skip,
    run: (ctx) => userMarkerCase(ctx, "pause", 4.2, [0.3, 0.7, 3.3, 3.9], { pause: { fromFrame: 50, toFrame: 150 } }),
  },
  {
    name: "placement: 3 s of TTS handed over at once plays back to back from where playback started",
    skip,
    async run(ctx) {
      const call = startCall(ctx, "tts");
      const markers = [0.2, 1.0, 1.8, 2.6];
      const tts = markerSignal(TTS_RATE, 3, markers);
      await sleep(400);
      const playedAt = performance.now();
      for (let i = 0; i < 30; i++) call.session.audio("assistant", tts.subarray(i * 2400, (i + 1) * 2400), TTS_RATE);
      await sleep(3300);
      const { right } = await finishCall(ctx, call);
      checkMarkers(
        right,
        markers.map((m) => playedAt - call.t0Perf + m * 1000),
        "tts",
      );
    },
  },
  {
    name: "placement: interruptAudio cuts the assistant's queued reply where playback stopped",
    skip,
    async run(ctx) {
      const call = startCall(ctx, "barge-in");
      const markers = [0.2, 0.8, 1.6, 2.4];
      // A reply with a quiet bed under its markers: any of it left after the cut shows.
      const tts = markerSignal(TTS_RATE, 3, markers, 2500);
      await sleep(400);
      const playedAt = performance.now();
      call.session.audio("assistant", tts, TTS_RATE);
      await sleep(1200);
      const cutAt = performance.now();
      call.session.interruptAudio("assistant");
      await sleep(600);
      const { right } = await finishCall(ctx, call);
      const offset = playedAt - call.t0Perf;
      checkMarkers(right, [offset + 200, offset + 800], "barge-in, before the cut");
      const cutMs = cutAt - call.t0Perf;
      const last = lastAbove(right, 1000);
      const lastMs = (last * 1000) / RATE;
      ok(
        Math.abs(lastMs - cutMs) <= TOLERANCE_MS,
        `the reply must stop at the cut (${Math.round(cutMs)} ms), its last sound is at ${Math.round(lastMs)} ms`,
      );
    },
  },
];
