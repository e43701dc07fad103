/**
 * Cost per call-minute, counted on the real code paths: the bench build of the Worker
 * (bench/worker/counting-entry.ts) runs on workerd through Miniflare with counting wrappers around
 * its Durable Object storage and bindings; whole calls of the bench's call model (lib/call-model.ts)
 * are sent, closed, finalized and forwarded to the Cekura stand-in; then the counters are read and
 * priced with Cloudflare's list prices (cost/prices.ts), beside a phone carrier's recording price.
 *
 * Standalone: `npx tsx bench/cost.ts [--quick]`.
 */
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { startCekuraStandIn } from "../worker/local/cekura-standin.ts";
import { REPO_ROOT } from "../worker/local/local-worker.ts";
import type { Counts } from "./worker/counts.ts";
import {
  AUDIO_CHUNK_SECONDS,
  audioChunkHeaders,
  eventsOfSecond,
  fragmentBody,
  SAMPLE_RATE,
  stereoPcm,
} from "./lib/call-model.ts";
import { must, postJson } from "./lib/http.ts";
import { cpuSeconds, snapshotEntry, startMiniflare, type MiniflareWorker } from "./lib/miniflare-worker.ts";
import { DO_BILLED_GB, PRICES, REFERENCE, unitPrice } from "./cost/prices.ts";

export interface CostScenario {
  name: string;
  mode: "observe" | "track";
  audio: boolean;
  /** Seconds of audio per PUT (the SDK's chunkMs / 1000). */
  chunkSeconds: number;
  /** Seconds of events per fragment (the SDK's flushIntervalMs / 1000; default 1). */
  flushSeconds?: number;
  /**
   * Sent at the call's own pace (a second of call per second) instead of as fast as accepted, so what the
   * Worker does per interval of time (the meta row's activity time, written at most every 10 s) shows.
   */
  realTime?: boolean;
  /** Call length for this scenario, overriding the run's (real-time calls take their length in wall time). */
  callSeconds?: number;
  /**
   * Sent with deferUpload: true and closed without consent, so the Worker discards the call: what a call
   * costs whose caller never consented (everything held, then destroyed).
   */
  withoutConsent?: boolean;
}

export interface PerCallMinute {
  workerRequests: number;
  doRequests: number;
  rowsRead: number;
  rowsWritten: number;
  r2ClassA: number;
  r2ClassB: number;
  /** Durable Object wall time while handling requests, as GB-s at 128 MB (measured locally: an upper bound). */
  doGbSeconds: number;
  /** CPU of the whole local workerd process (Worker + DOs + local R2/SQLite emulation): an upper bound on billed Worker CPU. */
  cpuMsUpperBound: number;
  /** Peak SQLite bytes of the session's DO while the call is open, per minute of call. */
  doBytesOpen: number;
  /** SQLite bytes the session's DO keeps after the call was delivered, per minute of call. */
  doBytesAfter: number;
  /** Bytes in R2 after the call (WAV + record), per minute of call. */
  r2Bytes: number;
}

export interface CostLine {
  item: keyof typeof PRICES;
  quantity: number;
  usdPerThousandCallMinutes: number;
}

export interface CostResult {
  scenario: CostScenario;
  calls: number;
  callSeconds: number;
  perCallMinute: PerCallMinute;
  /** Per 1,000 call-minutes, storage excluded. */
  lines: CostLine[];
  usdPerThousand: number;
  /** The same without the CPU line (an upper bound measured on the whole local runtime). */
  usdPerThousandWithoutCpu: number;
  /** Keeping 1,000 call-minutes for a month. */
  storageUsdPerThousandPerMonth: { r2: number; durableObjects: number };
  forwardStatuses: string[];
  rowsWrittenBySql: Record<string, number>;
  doRequestsByMethod: Record<string, number>;
  r2ByOperation: Record<string, number>;
  counts: Counts;
}

export const SCENARIOS: CostScenario[] = [
  { name: "observe, audio in 1 s chunks", mode: "observe", audio: true, chunkSeconds: 1 },
  {
    name: "observe, audio in 5 s chunks (SDK default)",
    mode: "observe",
    audio: true,
    chunkSeconds: AUDIO_CHUNK_SECONDS,
  },
  {
    name: "observe, audio in 5 s chunks, sent in real time (1-minute calls)",
    mode: "observe",
    audio: true,
    chunkSeconds: AUDIO_CHUNK_SECONDS,
    realTime: true,
    callSeconds: 60,
  },
  {
    name: "observe, audio in 5 s chunks, fragments every 5 s",
    mode: "observe",
    audio: true,
    chunkSeconds: AUDIO_CHUNK_SECONDS,
    flushSeconds: 5,
  },
  { name: "observe, no audio", mode: "observe", audio: false, chunkSeconds: AUDIO_CHUNK_SECONDS },
  { name: "track (no audio)", mode: "track", audio: false, chunkSeconds: AUDIO_CHUNK_SECONDS },
  {
    name: "observe, 5 s chunks, deferred and never consented (discarded)",
    mode: "observe",
    audio: true,
    chunkSeconds: AUDIO_CHUNK_SECONDS,
    withoutConsent: true,
  },
];

export const COUNTING_ENTRY = join(REPO_ROOT, "bench/worker/counting-entry.ts");
const API_KEY = "bench-cost-key";
const HEADERS = { authorization: `Bearer ${API_KEY}` };

/** One whole call as the SDK sends it: a fragment per second with events, audio as it fills a chunk, then close. */
export async function sendCall(url: string, id: string, scenario: CostScenario, callSeconds: number): Promise<void> {
  const base = `${url}/v1/sessions/${id}`;
  const callStart = scenario.realTime ? Date.now() : Date.now() - callSeconds * 1000;
  const callStartedAt = new Date(callStart).toISOString();
  const chunk = stereoPcm(scenario.chunkSeconds);
  let seq = 0;
  let chunkSeq = 0;
  const flush = scenario.flushSeconds ?? 1;
  let pending: ReturnType<typeof eventsOfSecond> = [];
  const sendFragment = async (events: typeof pending) => {
    const body = fragmentBody(seq++, events, callStartedAt, 42, scenario.mode, scenario.withoutConsent);
    await postJson(fetch, `${base}/fragments`, HEADERS, body, "fragment");
  };
  for (let s = 0; s < callSeconds; s++) {
    if (scenario.realTime)
      await new Promise((r) => setTimeout(r, Math.max(0, callStart + (s + 1) * 1000 - Date.now())));
    const work: Promise<unknown>[] = [];
    pending.push(...eventsOfSecond(s, callStart));
    if (pending.length > 0 && ((s + 1) % flush === 0 || s === callSeconds - 1)) {
      work.push(sendFragment(pending));
      pending = [];
    }
    if (scenario.audio && (s + 1) % scenario.chunkSeconds === 0) {
      const n = chunkSeq++;
      work.push(
        fetch(`${base}/audio/${n}`, {
          method: "PUT",
          headers: {
            ...HEADERS,
            ...audioChunkHeaders(callStartedAt),
            ...(scenario.withoutConsent ? { "x-cekura-defer-upload": "true" } : {}),
          },
          body: chunk,
        }).then((r) => must(r, `audio ${n}`)),
      );
    }
    await Promise.all(work);
  }
  const close = {
    lastSeq: seq - 1,
    lastAudioSeq: chunkSeq - 1,
    reason: "customer-ended-call",
    agentId: 42,
    mode: scenario.mode,
    callStartedAt,
  };
  await must(
    await fetch(`${base}/close`, {
      method: "POST",
      headers: { ...HEADERS, "content-type": "application/json" },
      body: JSON.stringify(close),
    }),
    "close",
  );
}

/** Polls the session's status (uncounted probe requests) until forwarding has settled. */
async function settled(url: string, id: string, timeoutMs: number): Promise<string> {
  const until = performance.now() + timeoutMs;
  let last = "unknown";
  while (performance.now() < until) {
    const status = (await must(
      await fetch(`${url}/v1/sessions/${id}`, { headers: { ...HEADERS, "x-bench-probe": "1" } }),
      "status",
    )) as { state: string; forward: { status: string } };
    last = `${status.state}/${status.forward.status}`;
    if (status.state === "finalized" && ["delivered", "skipped", "dead_letter"].includes(status.forward.status))
      return last;
    if (status.state === "discarded") return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  return `${last} (timed out)`;
}

export async function readCounts(url: string): Promise<Counts> {
  return (await must(await fetch(`${url}/__bench/counts`), "counts")) as Counts;
}

export async function resetCounts(url: string): Promise<void> {
  await must(await fetch(`${url}/__bench/reset`, { method: "POST" }), "reset");
}

async function r2BytesOf(worker: MiniflareWorker, ids: string[]): Promise<number> {
  const bucket = await worker.mf.getR2Bucket("RECORDINGS");
  let bytes = 0;
  let cursor: string | undefined;
  do {
    const page = await bucket.list({ cursor, limit: 1000 });
    for (const object of page.objects) if (ids.some((id) => object.key.includes(id))) bytes += object.size;
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  return bytes;
}

/** Prices one scenario's counts. */
export function price(
  counts: Counts,
  calls: number,
  callSeconds: number,
  cpuS: number,
  r2Bytes: number,
): { perCallMinute: PerCallMinute; lines: CostLine[]; storage: CostResult["storageUsdPerThousandPerMonth"] } {
  const minutes = (calls * callSeconds) / 60;
  const sessions = Object.entries(counts.objectStorage)
    .filter(([k]) => k.startsWith("SESSIONS:"))
    .map(([, v]) => v);
  const mean = (f: (s: { current: number; peak: number }) => number) =>
    sessions.length ? sessions.reduce((n, s) => n + f(s), 0) / sessions.length : 0;
  const perCallMinute: PerCallMinute = {
    workerRequests: counts.workerRequests / minutes,
    doRequests: (counts.doRequests + counts.doAlarms) / minutes,
    rowsRead: counts.rowsRead / minutes,
    rowsWritten: counts.rowsWritten / minutes,
    r2ClassA: counts.r2ClassA / minutes,
    r2ClassB: counts.r2ClassB / minutes,
    doGbSeconds: ((counts.doActiveMs / 1000) * DO_BILLED_GB) / minutes,
    cpuMsUpperBound: (cpuS * 1000) / minutes,
    doBytesOpen: mean((s) => s.peak) / (callSeconds / 60),
    doBytesAfter: mean((s) => s.current) / (callSeconds / 60),
    r2Bytes: r2Bytes / minutes,
  };
  const line = (item: keyof typeof PRICES, quantity: number): CostLine => ({
    item,
    quantity,
    usdPerThousandCallMinutes: quantity * 1000 * unitPrice(PRICES[item]),
  });
  const lines = [
    line("workerRequest", perCallMinute.workerRequests),
    line("doRequest", perCallMinute.doRequests),
    line("rowWritten", perCallMinute.rowsWritten),
    line("rowRead", perCallMinute.rowsRead),
    line("r2ClassA", perCallMinute.r2ClassA),
    line("r2ClassB", perCallMinute.r2ClassB),
    line("doGbSecond", perCallMinute.doGbSeconds),
    line("workerCpuMs", perCallMinute.cpuMsUpperBound),
  ];
  const storage = {
    r2: ((perCallMinute.r2Bytes * 1000) / 1e9) * unitPrice(PRICES.r2StoredGbMonth),
    durableObjects: ((perCallMinute.doBytesAfter * 1000) / 1e9) * unitPrice(PRICES.doStoredGbMonth),
  };
  return { perCallMinute, lines, storage };
}

export interface CostOptions {
  scenarios?: CostScenario[];
  calls?: number;
  callSeconds?: number;
  log?: (line: string) => void;
}

export async function runCost(options: CostOptions = {}): Promise<CostResult[]> {
  const log = options.log ?? (() => {});
  const calls = options.calls ?? 3;
  const runSeconds = options.callSeconds ?? 300;
  const standIn = await startCekuraStandIn();
  const worker = await startMiniflare(await snapshotEntry(COUNTING_ENTRY), {
    CEKURA_HOST: standIn.url,
    CLOSE_GRACE_SECONDS: "5",
  });
  const results: CostResult[] = [];
  try {
    for (const scenario of options.scenarios ?? SCENARIOS) {
      const ids = Array.from({ length: calls }, () => `cost-${crypto.randomUUID()}`);
      const callSeconds = scenario.callSeconds ?? runSeconds;
      await resetCounts(worker.url);
      const cpu0 = cpuSeconds(worker.pid);
      const t0 = performance.now();
      await Promise.all(ids.map((id) => sendCall(worker.url, id, scenario, callSeconds)));
      const forwardStatuses = await Promise.all(ids.map((id) => settled(worker.url, id, 30_000)));
      await new Promise((r) => setTimeout(r, 300));
      const counts = await readCounts(worker.url);
      const cpuS = cpuSeconds(worker.pid) - cpu0;
      const r2Bytes = await r2BytesOf(worker, ids);
      const { perCallMinute, lines, storage } = price(counts, calls, callSeconds, cpuS, r2Bytes);
      const usdPerThousand = lines.reduce((n, l) => n + l.usdPerThousandCallMinutes, 0);
      const cpuLine = lines.find((l) => l.item === "workerCpuMs")?.usdPerThousandCallMinutes ?? 0;
      results.push({
        scenario,
        calls,
        callSeconds,
        perCallMinute,
        lines,
        usdPerThousand,
        usdPerThousandWithoutCpu: usdPerThousand - cpuLine,
        storageUsdPerThousandPerMonth: storage,
        forwardStatuses,
        rowsWrittenBySql: counts.rowsWrittenBySql,
        doRequestsByMethod: counts.doRequestsByMethod,
        r2ByOperation: counts.r2ByOperation,
        counts,
      });
      const p = perCallMinute;
      log(
        `  cost ${scenario.name}: ${calls} x ${callSeconds / 60} min in ${((performance.now() - t0) / 1000).toFixed(1)} s; per call-minute: ${p.workerRequests.toFixed(1)} Worker req, ${p.doRequests.toFixed(1)} DO req, ${p.rowsWritten.toFixed(1)} rows written, ${p.rowsRead.toFixed(1)} read, R2 A ${p.r2ClassA.toFixed(2)} / B ${p.r2ClassB.toFixed(2)}; $${usdPerThousand.toFixed(4)} per 1,000 call-minutes (reference ${REFERENCE.usdPerThousandMinutes}); forward ${[...new Set(forwardStatuses)].join(", ")}`,
      );
    }
  } finally {
    await worker.stop();
    await standIn.stop();
  }
  return results;
}

/** A readable table of one run (also used by run.ts). */
export function describeCost(results: CostResult[]): string {
  const out: string[] = [];
  for (const r of results) {
    const p = r.perCallMinute;
    out.push(`${r.scenario.name} (${r.calls} calls of ${r.callSeconds / 60} min, ${SAMPLE_RATE / 1000} kHz stereo):`);
    out.push(
      `  per call-minute: Worker requests ${p.workerRequests.toFixed(1)}, DO requests ${p.doRequests.toFixed(1)}, rows written ${p.rowsWritten.toFixed(1)}, rows read ${p.rowsRead.toFixed(1)}, R2 class A ${p.r2ClassA.toFixed(3)}, class B ${p.r2ClassB.toFixed(3)}, DO ${p.doGbSeconds.toFixed(4)} GB-s, CPU <= ${p.cpuMsUpperBound.toFixed(0)} ms`,
    );
    out.push(
      `  storage: DO ${(p.doBytesOpen / 1e6).toFixed(3)} MB per call-minute while open, ${(p.doBytesAfter / 1e3).toFixed(1)} KB per call-minute kept after; R2 ${(p.r2Bytes / 1e6).toFixed(3)} MB per call-minute`,
    );
    out.push(
      `  $ per 1,000 call-minutes: ${r.lines.map((l) => `${l.item} ${l.usdPerThousandCallMinutes.toFixed(4)}`).join(", ")}; total ${r.usdPerThousand.toFixed(4)} (${r.usdPerThousandWithoutCpu.toFixed(4)} without the CPU upper bound) vs ${REFERENCE.label} ${REFERENCE.usdPerThousandMinutes.toFixed(2)}`,
    );
    out.push(
      `  storage per month of 1,000 call-minutes: R2 $${r.storageUsdPerThousandPerMonth.r2.toFixed(4)}, DO $${r.storageUsdPerThousandPerMonth.durableObjects.toFixed(5)} vs ${REFERENCE.label} $${REFERENCE.storageUsdPerThousandMinuteMonths.toFixed(2)}`,
    );
    out.push(
      `  rows written by statement: ${Object.entries(r.rowsWrittenBySql)
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => `${k} ${(v / ((r.calls * r.callSeconds) / 60)).toFixed(1)}`)
        .join("; ")}`,
    );
  }
  return out.join("\n");
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const quick = process.argv.includes("--quick");
  const results = await runCost({ calls: quick ? 2 : 3, callSeconds: quick ? 120 : 300, log: console.log });
  console.log(describeCost(results));
}
