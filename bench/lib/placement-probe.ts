/**
 * One runtime's marker error under real timers (run by bench/audio-placement.ts in node, deno and bun):
 * a 20 ms source paced in real time (test/audio/paced-source.ts) is placed by the SDK's estimator
 * (sdk/audio/placement.ts, released by a 250 ms pump as session.audio's is) and by the rule it replaced,
 * in the same run from the same arrivals. Every 5th frame's first sample is a marker; its error is where
 * it lands minus where it was captured. Prints `BENCH_JSON {case: {estimator: ms[], oldRule: ms[]}}`.
 */
import { CapturePlacement } from "../../sdk/audio/placement.ts";
import { FRAME_MS, jitterDelays, playPaced, type PacedOptions } from "../../test/audio/paced-source.ts";

const RATE = 16_000;
const FRAME = (RATE * FRAME_MS) / 1000;
const SECONDS = Number(
  (globalThis as { process?: { env: Record<string, string> } }).process?.env.BENCH_PLACEMENT_SECONDS ?? 6,
);
const FRAMES = Math.floor((SECONDS * 1000) / FRAME_MS);
/** The session's track: a start within 10 ms of the channel's end continues it; later leaves silence. */
const GAP_TOLERANCE_MS = 10;

/** Where each frame lands on a channel given where it asks to start (the recorder's track, both rules). */
function track(asked: number[]): number[] {
  let end = Number.NEGATIVE_INFINITY;
  return asked.map((at) => {
    const start = at - end > GAP_TOLERANCE_MS ? at : end;
    end = start + FRAME_MS;
    return start;
  });
}

/** The rule replaced in issue 25: each buffer stamped with its arrival ("now"). */
const oldRule = (arrivals: number[]) => track(arrivals);

async function run(options: PacedOptions): Promise<{ estimator: number[]; oldRule: number[] }> {
  const pcm = new Int16Array(FRAMES * FRAME);
  const arrivals: number[] = [];
  const asked: number[] = [];
  const placement = new CapturePlacement();
  let origin = performance.now();
  const now = () => performance.now() - origin;
  const take = (parts: ReturnType<CapturePlacement["flush"]>) => {
    for (const part of parts)
      for (let i = 0; i < part.pcm.length; i += FRAME) asked.push(part.atMs + (i * 1000) / RATE);
  };
  const pump = setInterval(() => take(placement.release(now())), 250);
  origin = performance.now(); // playPaced's source time 0 is within microseconds of this
  await playPaced(
    pcm,
    RATE,
    (frame) => {
      const t = now();
      arrivals.push(t);
      placement.push(frame, RATE, t);
    },
    options,
  );
  clearInterval(pump);
  take(placement.flush());
  const errors = (placed: number[]) =>
    placed.flatMap((at, k) => (k % 5 === 0 ? [Math.round((at - k * FRAME_MS) * 100) / 100] : []));
  return { estimator: errors(track(asked)), oldRule: errors(oldRule(arrivals)) };
}

const result = {
  paced: await run({}),
  jitter: await run({ delays: jitterDelays(FRAMES, 25) }),
  stall: await run({ stallMs: 250, stallAfterFrame: 10 }),
};
console.log(`BENCH_JSON ${JSON.stringify(result)}`);
