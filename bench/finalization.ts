/**
 * Finalization of a 10-minute call, synthesised quickly: its fragments (as the SDK cuts them) and
 * 600 one-second stereo audio chunks are sent as fast as the Worker takes them, then close.
 * Measured: close -> finalized record (status polled every 25 ms), close -> delivered at the Cekura
 * stand-in (worker/local/cekura-standin.ts), and Durable Object storage per minute of call (the
 * .sqlite files under the persist folder before close and after delivery). Several calls, medians.
 *
 * Standalone: `npx tsx bench/finalization.ts [calls=3] [minutes=10]`.
 */
import { rmSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { startCekuraStandIn } from "../worker/local/cekura-standin.ts";
import { snapshotWorker, startWranglerDev } from "./lib/wrangler-dev.ts";
import {
  audioChunkHeaders,
  eventsOfSecond,
  fragmentBody,
  STEREO_PCM_BYTES_PER_SECOND,
  stereoPcm,
} from "./lib/call-model.ts";
import { must, postJson } from "./lib/http.ts";
import { persistSizes } from "./lib/persist-size.ts";
import { median } from "./lib/stats.ts";

export interface FinalizationRun {
  callMinutes: number;
  fragments: number;
  events: number;
  audioBytes: number;
  /** Wall time to send the whole call (8 requests in flight). */
  ingestSeconds: number;
  /** The close request's own answer time (finalization runs inside it when nothing is missing). */
  closeAnsweredMs: number;
  closeStateAnswered: string;
  closeToFinalizedMs: number;
  closeToDeliveredMs: number;
  /** DO SQLite bytes of this call while it was open (all fragments and audio received). */
  doBytesOpen: number;
  /** DO SQLite bytes after delivery. */
  doBytesAfter: number;
  r2Bytes: number;
  deliveredWithAudio: boolean;
}

export interface FinalizationSummary {
  runs: FinalizationRun[];
  closeAnsweredMs: number;
  closeToFinalizedMs: number;
  closeToDeliveredMs: number;
  doBytesPerMinuteOpen: number;
  doBytesPerMinuteAfter: number;
  r2BytesPerMinute: number;
  audioBytesPerMinute: number;
}

const API_KEY = "bench-finalization-key";
const CONCURRENCY = 8;

async function pool<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

/** fetch with a 60 s limit, tried twice (every route is idempotent: a repeat is acknowledged again). */
async function send(url: string, init: RequestInit): Promise<Response> {
  for (let attempt = 1; ; attempt++) {
    try {
      const response = await fetch(url, { ...init, signal: AbortSignal.timeout(60_000) });
      if (response.status < 500 || attempt >= 2) return response;
      await response.body?.cancel();
    } catch (error) {
      if (attempt >= 2) throw error;
    }
  }
}

export async function runFinalization(
  calls = 3,
  minutes = 10,
  log: (l: string) => void = () => {},
  workerConfig?: string,
  deadline = Number.POSITIVE_INFINITY,
): Promise<FinalizationSummary> {
  const budget = (what: string) => {
    if (performance.now() > deadline)
      throw new Error(`time budget exhausted during ${what} (the Worker took too long under this machine's load)`);
  };
  const config = workerConfig ?? (await snapshotWorker());
  const standIn = await startCekuraStandIn();
  const worker = await startWranglerDev(config, { vars: { CEKURA_HOST: standIn.url, CLOSE_GRACE_SECONDS: "5" } });
  const headers = { authorization: `Bearer ${API_KEY}` };
  const runs: FinalizationRun[] = [];
  const chunk = stereoPcm(1);
  try {
    for (let c = 0; c < calls; c++) {
      const id = `final-${crypto.randomUUID()}`;
      const base = `${worker.url}/v1/sessions/${id}`;
      const seconds = minutes * 60;
      const callStart = Date.now() - seconds * 1000;
      const callStartedAt = new Date(callStart).toISOString();
      const bodies: string[] = [];
      let events = 0;
      for (let s = 0; s < seconds; s++) {
        const ev = eventsOfSecond(s, callStart);
        if (ev.length === 0) continue;
        events += ev.length;
        bodies.push(fragmentBody(bodies.length, ev, callStartedAt));
      }
      const before = persistSizes(worker.persistTo);
      const t0 = performance.now();
      await pool(
        bodies.map((b, i) => [b, i] as const),
        CONCURRENCY,
        async ([body]) => {
          budget("fragment ingest");
          await postJson(send, `${base}/fragments`, headers, body, "fragment");
        },
      );
      await pool(
        Array.from({ length: seconds }, (_, i) => i),
        CONCURRENCY,
        async (seq) => {
          budget("audio ingest");
          if (seq % 120 === 0)
            log(`    audio chunk ${seq}/${seconds} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
          await must(
            await send(`${base}/audio/${seq}`, {
              method: "PUT",
              headers: { ...headers, ...audioChunkHeaders(callStartedAt) },
              body: chunk,
            }),
            `audio ${seq}`,
          );
        },
      );
      const ingestSeconds = (performance.now() - t0) / 1000;
      const open = persistSizes(worker.persistTo);

      const closeAt = performance.now();
      const closed = (await must(
        await send(`${base}/close`, {
          method: "POST",
          headers: { ...headers, "content-type": "application/json" },
          body: JSON.stringify({
            lastSeq: bodies.length - 1,
            lastAudioSeq: seconds - 1,
            reason: "customer-ended-call",
            agentId: 42,
            mode: "observe",
            callStartedAt,
          }),
        }),
        "close",
      )) as { state: string };
      const closeAnsweredMs = performance.now() - closeAt;
      let finalizedMs = closed.state === "finalized" ? closeAnsweredMs : Number.NaN;
      let deliveredMs = Number.NaN;
      const closeDeadline = closeAt + 180_000;
      while (performance.now() < closeDeadline) {
        budget("finalization");
        const status = (await must(await send(base, { headers }), "status")) as {
          state: string;
          forward: { status: string; lastError: string | null };
        };
        const now = performance.now() - closeAt;
        if (Number.isNaN(finalizedMs) && status.state === "finalized") finalizedMs = now;
        if (status.forward.status === "delivered") {
          deliveredMs = now;
          break;
        }
        if (status.forward.status === "dead_letter")
          throw new Error(`forward dead-lettered: ${status.forward.lastError}`);
        await new Promise((r) => setTimeout(r, 25));
      }
      const after = persistSizes(worker.persistTo);
      const delivered = standIn.calls().find((r) => (r.body as { call_id?: string } | null)?.call_id === id);
      runs.push({
        callMinutes: minutes,
        fragments: bodies.length,
        events,
        audioBytes: seconds * STEREO_PCM_BYTES_PER_SECOND,
        ingestSeconds,
        closeAnsweredMs,
        closeStateAnswered: closed.state,
        closeToFinalizedMs: finalizedMs,
        closeToDeliveredMs: deliveredMs,
        doBytesOpen: open.durableObjects - before.durableObjects,
        doBytesAfter: after.durableObjects - before.durableObjects,
        r2Bytes: after.r2 - before.r2,
        deliveredWithAudio: Boolean(delivered?.files.some((f) => f.field === "voice_recording")),
      });
      const r = runs.at(-1)!;
      log(
        `  finalization call ${c + 1}/${calls}: ingest ${r.ingestSeconds.toFixed(1)} s, close answered ${r.closeAnsweredMs.toFixed(0)} ms (${r.closeStateAnswered}), close->finalized ${r.closeToFinalizedMs.toFixed(0)} ms, close->delivered ${r.closeToDeliveredMs.toFixed(0)} ms, DO ${(r.doBytesOpen / 1e6).toFixed(2)} MB open / ${(r.doBytesAfter / 1e6).toFixed(2)} MB after, audio delivered: ${r.deliveredWithAudio}`,
      );
      standIn.reset();
    }
  } finally {
    await worker.stop();
    await standIn.stop();
    rmSync(worker.persistTo, { recursive: true, force: true });
  }
  const m = (f: (r: FinalizationRun) => number) => median(runs.map(f));
  return {
    runs,
    closeAnsweredMs: m((r) => r.closeAnsweredMs),
    closeToFinalizedMs: m((r) => r.closeToFinalizedMs),
    closeToDeliveredMs: m((r) => r.closeToDeliveredMs),
    doBytesPerMinuteOpen: m((r) => r.doBytesOpen / r.callMinutes),
    doBytesPerMinuteAfter: m((r) => r.doBytesAfter / r.callMinutes),
    r2BytesPerMinute: m((r) => r.r2Bytes / r.callMinutes),
    audioBytesPerMinute: STEREO_PCM_BYTES_PER_SECOND * 60,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const summary = await runFinalization(Number(process.argv[2] ?? 3), Number(process.argv[3] ?? 10), console.log);
  console.log(JSON.stringify({ ...summary, runs: undefined }, null, 2));
}
