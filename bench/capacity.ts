/**
 * Worker capacity on local workerd: N concurrent sessions, each sending a realistic call (fragments
 * as the SDK cuts them + one stereo audio chunk per chunk of call) at real-time pace and faster,
 * against the real Worker, a bare Hono echo Worker (bench/echo-worker) and a storage floor
 * (bench/floor-worker: one RPC + one SQLite INSERT per request) in the same run.
 * Load comes from this Node process (global fetch), only to 127.0.0.1, bounded in count and time.
 * Both Workers run straight on workerd through Miniflare's API from a bundle snapshot (no wrangler dev
 * proxy, which resets connections under load and hides the Worker's own limit; no reloads mid-run).
 *
 * Standalone: `npx tsx bench/capacity.ts [levels=50,200] [seconds=10] [chunkSeconds=5] [x5 levels=levels]`.
 */
import { pathToFileURL } from "node:url";
import {
  AUDIO_CHUNK_SECONDS,
  audioChunkHeaders,
  eventsOfSecond,
  fragmentBody,
  stereoPcm,
  TURN_SECONDS,
} from "./lib/call-model.ts";
import { join } from "node:path";
import { cpuSeconds, startMiniflare } from "./lib/miniflare-worker.ts";
import { snapshotWorker } from "./lib/wrangler-dev.ts";
import { REPO_ROOT } from "../worker/local/local-worker.ts";
import { median, p99 } from "./lib/stats.ts";

export interface LevelResult {
  /** echo: no storage; floor: one RPC + one SQLite INSERT per request (bench/floor-worker). */
  target: "worker" | "echo" | "floor";
  sessions: number;
  audio: boolean;
  /** 1 = real time; 5 = five seconds of call sent per second. */
  pace: number;
  durationS: number;
  requests: number;
  acks: number;
  errors: number;
  errorSamples: string[];
  acksPerSecond: number;
  /** Requests the schedule holds per second (what keeping up means); acksPerSecond below it = falling behind. */
  offeredPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Of the requests sent once every session has joined (after RAMP_SECONDS): the level held, not its start. */
  steadyP50Ms: number;
  steadyP99Ms: number;
  fragments: number;
  audioChunks: number;
  /** Seconds of audio per chunk request. */
  chunkSeconds: number;
  /** CPU of the target's workerd process per acknowledged request, ms. */
  cpuMsPerAck?: number;
}

export interface CapacityOptions {
  /** Each pace with its levels (sessions): real time (1) to find the calls held, faster (5) to saturate. */
  paces: { pace: number; seconds: number; levels: number[] }[];
  audio: boolean;
  log?: (line: string) => void;
  /** Levels also run with fragments only (no audio), real-time pace: shows what audio storage costs. */
  fragmentsOnlyLevels?: number[];
  /** performance.now() after which no further level starts (the run's time budget). */
  deadline?: number;
  /** A snapshotted wrangler.toml (lib/wrangler-dev.ts); made here when absent. */
  workerConfig?: string;
  /** Seconds of audio per chunk request (default: the SDK's default chunk). */
  chunkSeconds?: number;
}

const API_KEY = "bench-capacity-key";
const pcmOf = new Map<number, Uint8Array<ArrayBuffer>>();
const pcm = (seconds: number) => pcmOf.get(seconds) ?? pcmOf.set(seconds, stereoPcm(seconds)).get(seconds)!;
const REQUEST_TIMEOUT_MS = 10_000;
/**
 * Sessions join a level over its first seconds, as calls do, rather than all in one instant: N calls in
 * progress (average length L) start about N / L per second, not N at once. First contact creates the
 * session's Durable Object, the costliest request of a call; the steady figures leave the ramp out.
 */
const RAMP_SECONDS = 2;

/** Seconds after which the call model repeats: turns and audio chunks both start over. */
function cycleSeconds(chunkSeconds: number): number {
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  return (TURN_SECONDS * chunkSeconds) / gcd(TURN_SECONDS, chunkSeconds);
}

async function timed(
  url: string,
  init: RequestInit,
  latencies: number[],
  errors: string[],
  steady?: number[],
): Promise<boolean> {
  const t0 = performance.now();
  try {
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    const text = await response.text();
    if (!response.ok) {
      if (errors.length < 5) errors.push(`${response.status} ${text.slice(0, 160)}`);
      return false;
    }
    latencies.push(performance.now() - t0);
    steady?.push(performance.now() - t0);
    return true;
  } catch (error) {
    const cause =
      error instanceof Error && error.cause instanceof Error
        ? ` (${(error.cause as Error & { code?: string }).code ?? error.cause.message})`
        : "";
    if (errors.length < 5)
      errors.push(error instanceof Error ? `${error.name}: ${error.message}${cause}` : String(error));
    return false;
  }
}

export async function runLevel(
  baseUrl: string,
  target: LevelResult["target"],
  sessions: number,
  pace: number,
  seconds: number,
  audio: boolean,
  chunkSeconds = AUDIO_CHUNK_SECONDS,
): Promise<LevelResult> {
  const latencies: number[] = [];
  const steadyLatencies: number[] = [];
  const errorSamples: string[] = [];
  let requests = 0;
  let errors = 0;
  let fragments = 0;
  let audioChunks = 0;
  // Requests the schedule holds for the whole level (what a session that keeps up sends).
  let scheduled = 0;
  const interval = 1000 / pace;
  const runId = crypto.randomUUID().slice(0, 8);
  const start = performance.now() + 200;
  const deadline = start + seconds * 1000;
  const rampMs = Math.min(RAMP_SECONDS * 1000, (seconds * 1000) / 2);
  const headers = { authorization: `Bearer ${API_KEY}` };

  async function session(n: number): Promise<void> {
    const id = `cap-${runId}-${target}-${sessions}-${pace}-${n}`;
    const base = `${baseUrl}/v1/sessions/${id}`;
    // Concurrent calls are not in step: each session joins its call at a random second of the call model's
    // cycle, so turns and audio chunks of different sessions spread over time as real calls' do (in step,
    // every session's audio chunk landed in the same second, a burst no set of real calls makes).
    const joinedAt = Math.floor(Math.random() * cycleSeconds(chunkSeconds));
    const callStart = Date.now() - joinedAt * 1000;
    const callStartedAt = new Date(callStart).toISOString();
    const offset = ((n + Math.random()) * rampMs) / sessions;
    const hasAudio = (second: number) => audio && (joinedAt + second + 1) % chunkSeconds === 0;
    let seq = 0;
    let chunkSeq = 0;
    for (let k = 0; start + offset + k * interval < deadline; k++)
      scheduled += (eventsOfSecond(joinedAt + k, 0).length > 0 ? 1 : 0) + (hasAudio(k) ? 1 : 0);
    for (let second = 0; ; second++) {
      const due = start + offset + second * interval;
      // Bounded in time: a session that fell behind stops at the deadline (its missed slots count as offered).
      if (due >= deadline || performance.now() >= deadline) return;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const work: Promise<boolean>[] = [];
      const steady = due >= start + rampMs ? steadyLatencies : undefined;
      const events = eventsOfSecond(joinedAt + second, callStart);
      if (events.length > 0) {
        fragments++;
        work.push(
          timed(
            `${base}/fragments`,
            {
              method: "POST",
              headers: { ...headers, "content-type": "application/json" },
              body: fragmentBody(seq++, events, callStartedAt),
            },
            latencies,
            errorSamples,
            steady,
          ),
        );
      }
      if (hasAudio(second)) {
        audioChunks++;
        work.push(
          timed(
            `${base}/audio/${chunkSeq++}`,
            {
              method: "PUT",
              headers: { ...headers, ...audioChunkHeaders(callStartedAt) },
              body: pcm(chunkSeconds),
            },
            latencies,
            errorSamples,
            steady,
          ),
        );
      }
      requests += work.length;
      const results = await Promise.all(work);
      errors += results.filter((ok) => !ok).length;
    }
  }

  await Promise.all(Array.from({ length: sessions }, (_, n) => session(n)));
  const elapsed = (performance.now() - start) / 1000;
  return {
    target,
    sessions,
    audio,
    pace,
    durationS: Math.round(elapsed * 10) / 10,
    requests,
    acks: latencies.length,
    errors,
    errorSamples,
    acksPerSecond: latencies.length / elapsed,
    offeredPerSecond: scheduled / seconds,
    p50Ms: median(latencies),
    p99Ms: p99(latencies),
    steadyP50Ms: median(steadyLatencies),
    steadyP99Ms: p99(steadyLatencies),
    fragments,
    audioChunks,
    chunkSeconds,
  };
}

/** A real-time level held: every request acknowledged, keeping up with the schedule, p99 under 100 ms once joined. */
export const held = (r: LevelResult) =>
  r.errors === 0 && r.acksPerSecond >= 0.95 * r.offeredPerSecond && r.steadyP99Ms < 100;

export async function runCapacity(options: CapacityOptions): Promise<LevelResult[]> {
  const log = options.log ?? (() => {});
  const chunkSeconds = options.chunkSeconds ?? AUDIO_CHUNK_SECONDS;
  // Bundled once; each level then starts its target afresh. A workerd that served earlier levels still holds
  // their thousands of session objects (and their databases), which slowed later levels by up to a third.
  const configs: Record<LevelResult["target"], string> = {
    worker: options.workerConfig ?? (await snapshotWorker()),
    echo: await snapshotWorker(join(REPO_ROOT, "bench/echo-worker/wrangler.toml")),
    floor: await snapshotWorker(join(REPO_ROOT, "bench/floor-worker/wrangler.toml")),
  };
  const results: LevelResult[] = [];
  const measured = async (
    target: LevelResult["target"],
    sessions: number,
    pace: number,
    seconds: number,
    audio: boolean,
  ): Promise<LevelResult> => {
    const instance = await startMiniflare(configs[target]);
    try {
      // Warm-up (the first requests compile the isolate and optimise the hot paths); not reported.
      await runLevel(instance.url, target, 20, 5, 1, audio, chunkSeconds);
      const cpu0 = cpuSeconds(instance.pid);
      const r = await runLevel(instance.url, target, sessions, pace, seconds, audio, chunkSeconds);
      r.cpuMsPerAck = ((cpuSeconds(instance.pid) - cpu0) * 1000) / Math.max(1, r.acks);
      return r;
    } finally {
      await instance.stop();
    }
  };
  const overBudget = () => options.deadline !== undefined && performance.now() > options.deadline;
  for (const { pace, seconds, levels } of options.paces) {
    // Past the first level a target did not hold, higher real-time levels only pile up a backlog.
    const lost = new Set<LevelResult["target"]>();
    for (const sessions of levels) {
      if (overBudget()) {
        log(`  capacity ${sessions} sessions x${pace}: skipped (time budget)`);
        continue;
      }
      // The floor shows what any design that stores each request durably reaches on this machine.
      for (const target of ["worker", "echo", "floor"] as const) {
        if (lost.has(target)) {
          log(`  capacity ${target} ${sessions} sessions x${pace}: not run (did not hold a lower level)`);
          continue;
        }
        const r = await measured(target, sessions, pace, seconds, options.audio);
        results.push(r);
        if (pace === 1 && !held(r)) lost.add(target);
        log(
          `  capacity ${target} ${sessions} sessions x${pace}${options.audio ? "" : " (no audio)"}: ${r.acksPerSecond.toFixed(0)} acks/s (offered ${r.offeredPerSecond.toFixed(0)}/s), p50 ${r.steadyP50Ms.toFixed(1)} ms, p99 ${r.steadyP99Ms.toFixed(1)} ms (joining: p99 ${r.p99Ms.toFixed(1)} ms), errors ${r.errors}, ${r.cpuMsPerAck?.toFixed(2)} ms CPU/ack${r.errorSamples[0] ? ` (${r.errorSamples[0]})` : ""}`,
        );
      }
    }
  }
  for (const sessions of overBudget() ? [] : (options.fragmentsOnlyLevels ?? [])) {
    for (const target of ["worker", "echo"] as const) {
      const r = await measured(target, sessions, 1, options.paces[0]?.seconds ?? 8, false);
      results.push(r);
      log(
        `  capacity ${target} ${sessions} sessions x1, fragments only: ${r.acksPerSecond.toFixed(0)} acks/s (offered ${r.offeredPerSecond.toFixed(0)}/s), p50 ${r.steadyP50Ms.toFixed(1)} ms, p99 ${r.steadyP99Ms.toFixed(1)} ms, errors ${r.errors}${r.errorSamples[0] ? ` (${r.errorSamples[0]})` : ""}`,
      );
    }
  }
  return results;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const levels = (process.argv[2] ?? "50,200").split(",").map(Number);
  const seconds = Number(process.argv[3] ?? 10);
  const chunkSeconds = Number(process.argv[4] ?? AUDIO_CHUNK_SECONDS);
  const saturationLevels = (process.argv[5] ?? process.argv[2] ?? "50,200").split(",").map(Number);
  const results = await runCapacity({
    paces: [
      { pace: 1, seconds, levels },
      { pace: 5, seconds: Math.max(2, seconds / 2), levels: saturationLevels },
    ],
    audio: true,
    chunkSeconds,
    log: console.log,
  });
  console.log(JSON.stringify(results, null, 2));
}
