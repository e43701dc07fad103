/**
 * Events per second the SDK delivers to the real local Worker (wrangler dev on 127.0.0.1), from the
 * first recording call to close() resolving with the finalized status. Baseline: the same events as
 * pre-built 200-event fragments POSTed one by one with plain fetch (the Worker's own ceiling).
 * Run: npx tsx bench/sdk-throughput.ts   (EVENTS=20000 by default)
 */
import { CekuraTracer } from "../sdk/index.ts";
import { startLocalWorker } from "../worker/local/local-worker.ts";

const EVENTS = Number(process.env.EVENTS ?? 20_000);
const worker = await startLocalWorker();
const apiKey = `bench-${crypto.randomUUID()}`;
const text = (i: number) => `turn ${i}: I would like to move my appointment to Friday, if that is possible.`;

async function viaSdk(options: Record<string, unknown>): Promise<number> {
  const cekura = new CekuraTracer({ apiKey, agentId: 1, ingestUrl: worker.url, enableOtelTraces: false, ...options });
  const s = cekura.track({ sessionId: `tp-${crypto.randomUUID()}` });
  const start = performance.now();
  for (let i = 0; i < EVENTS; i++) {
    s.transcript({ role: i % 2 ? "assistant" : "user", text: text(i) });
    if (i % 1000 === 999) await new Promise((r) => setTimeout(r, 0));
  }
  const status = await s.close();
  const seconds = (performance.now() - start) / 1000;
  if (status.state !== "finalized" || status.counts.events !== EVENTS)
    throw new Error(`not all delivered: ${JSON.stringify(status.counts)}`);
  return EVENTS / seconds;
}

async function baseline(): Promise<number> {
  const id = `tp-raw-${crypto.randomUUID()}`;
  const now = new Date().toISOString();
  const start = performance.now();
  let seq = 0;
  for (let i = 0; i < EVENTS; i += 200) {
    const events = [];
    for (let j = i; j < Math.min(EVENTS, i + 200); j++)
      events.push({
        kind: "transcript",
        role: j % 2 ? "assistant" : "user",
        text: text(j),
        startedAt: now,
        endedAt: now,
      });
    const response = await fetch(`${worker.url}/v1/sessions/${id}/fragments`, {
      method: "POST",
      headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({ agentId: 1, mode: "track", seq: seq++, sentAt: now, events }),
    });
    if (!response.ok) throw new Error(`baseline POST ${response.status}: ${await response.text()}`);
    await response.body?.cancel();
  }
  const close = await fetch(`${worker.url}/v1/sessions/${id}/close`, {
    method: "POST",
    headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
    body: JSON.stringify({ lastSeq: seq - 1 }),
  });
  await close.body?.cancel();
  return EVENTS / ((performance.now() - start) / 1000);
}

try {
  await viaSdk({}); // warm-up (isolate, DO code paths)
  const rows: [string, number][] = [
    ["baseline: plain fetch, 200-event fragments, sequential", await baseline()],
    ["SDK defaults (200/fragment, gzip, 2 in flight)", await viaSdk({})],
    ["SDK, compression off", await viaSdk({ compression: false })],
    ["SDK, 1000/fragment, 4 in flight", await viaSdk({ maxBatchEvents: 1000, maxConcurrentRequests: 4 })],
  ];
  console.log(`Events/s delivered to the local Worker (${EVENTS} transcript events, recorded -> finalized)`);
  for (const [name, rate] of rows)
    console.log(`${name.padEnd(58)} ${Math.round(rate).toString().padStart(8)} events/s`);
} finally {
  await worker.stop();
}
