/**
 * Worker memory for long calls: the real Worker (wrangler dev --local on 127.0.0.1) receives a call's
 * stereo 16 kHz audio as 1 s chunks (64 KB, what the SDK sends), then close finalizes the WAV. The
 * resident memory of its workerd process is sampled throughout; a 1-minute call is the baseline for
 * a 10-minute one (bounded memory: the peak must not grow with the call's length). Also prints the
 * ingest rate in seconds of call per second. `BENCH_JSON {...}` last. Run: npx tsx bench/audio-worker.ts
 */
import { readdirSync, readFileSync } from "node:fs";
import { startLocalWorker } from "../worker/local/local-worker.ts";

const KEY = "bench-audio-key";
const RATE = 16_000;

function ancestors(pid: number): number[] {
  const out: number[] = [];
  for (let p = pid; p > 1; ) {
    const stat = readFileSync(`/proc/${p}/stat`, "utf8");
    p = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    out.push(p);
  }
  return out;
}

/** RSS (bytes) of the workerd processes started by this process. */
function workerdRss(): number {
  let total = 0;
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmd = readFileSync(`/proc/${name}/cmdline`, "utf8");
      if (!cmd.includes("workerd") || !ancestors(Number(name)).includes(process.pid)) continue;
      const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${name}/status`, "utf8"));
      total += Number(rss?.[1] ?? 0) * 1024;
    } catch {
      // exited meanwhile
    }
  }
  return total;
}

async function call(url: string, seconds: number) {
  const id = `mem-${seconds}-${crypto.randomUUID()}`;
  const chunk = new Uint8Array(RATE * 4).map((_, i) => (i * 7) & 0xff);
  let peak = 0;
  /** RSS at every minute of call: flat = bounded by the call's length. */
  const perMinute: number[] = [];
  const t = performance.now();
  for (let seq = 0; seq < seconds; seq++) {
    const res = await fetch(`${url}/v1/sessions/${id}/audio/${seq}`, {
      method: "PUT",
      body: chunk,
      headers: {
        authorization: `Bearer ${KEY}`,
        "content-type": "application/octet-stream",
        "x-audio-sample-rate": String(RATE),
        "x-cekura-agent-id": "42",
        "x-cekura-mode": "observe",
      },
    });
    if (!res.ok) throw new Error(`chunk ${seq}: ${res.status} ${await res.text()}`);
    await res.body?.cancel();
    if (seq % 10 === 0) peak = Math.max(peak, workerdRss());
    if (seq % 60 === 59) perMinute.push(workerdRss());
  }
  const close = await fetch(`${url}/v1/sessions/${id}/close`, {
    method: "POST",
    body: JSON.stringify({ lastSeq: -1, lastAudioSeq: seconds - 1 }),
    headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
  });
  const state = ((await close.json()) as { state: string }).state;
  peak = Math.max(peak, workerdRss());
  return {
    seconds,
    state,
    peakRss: peak,
    rssPerMinuteMiB: perMinute.map((n) => Math.round(n / 1048576)),
    ingestSecondsPerSecond: seconds / ((performance.now() - t) / 1000),
  };
}

const worker = await startLocalWorker();
try {
  await call(worker.url, 10); // warm-up
  const idle = workerdRss();
  const short = await call(worker.url, 60);
  const long = await call(worker.url, 600);
  // A second 10-minute call: if the peak keeps rising, memory grows with audio received; if not, the
  // first rise was runtime caches (SQLite pages, the local R2 store), not per-call state.
  const again = await call(worker.url, 600);
  const result = {
    secondTenMinutes: again,
    idleRss: idle,
    oneMinute: short,
    tenMinutes: long,
    tenMinuteWavBytes: 44 + 600 * RATE * 4,
    peakGrowthTenVsOneMinute: long.peakRss - short.peakRss,
  };
  const mb = (n: number) => (n / 1024 / 1024).toFixed(1);
  console.log(
    `workerd RSS: idle ${mb(idle)} MiB; peak ${mb(short.peakRss)} MiB during a 1-min call; peak ${mb(long.peakRss)} MiB during a 10-min call (${mb(result.tenMinuteWavBytes)} MiB WAV)`,
  );
  console.log(`second 10-min call: peak ${mb(again.peakRss)} MiB`);
  console.log(
    `RSS at each minute (MiB): first 10-min call ${long.rssPerMinuteMiB.join(" ")}; second ${again.rssPerMinuteMiB.join(" ")}`,
  );
  console.log(
    `ingest: ${long.ingestSecondsPerSecond.toFixed(1)} s of call per second; final states ${short.state}/${long.state}`,
  );
  console.log(`BENCH_JSON ${JSON.stringify(result)}`);
} finally {
  await worker.stop();
}
