/**
 * The OpenAI Realtime recording relay (worker/relay/): what it adds to each relayed message, against a
 * direct connection to the same local fake server (test/support/fake-realtime.ts, echoing every frame),
 * measured side by side in one run; the Worker's CPU per relayed call-minute (relay + recording + the
 * session's Durable Object, all in the one local workerd process); and what that CPU costs per 1,000
 * relayed call-minutes at Cloudflare's list price.
 *
 * Run: `npx tsx bench/relay.ts [pings=1000] [callMinutes=1]`. Prints `BENCH_JSON {...}` last.
 * A call-minute is modelled as 3,000 client frames (20 ms pcm16 24 kHz `input_audio_buffer.append`) and
 * 3,000 server frames back (the echo stands in for `response.output_audio.delta`).
 */
import WebSocket from "ws";
import { startFakeRealtime } from "../test/support/fake-realtime.ts";
import { PRICES } from "./cost/prices.ts";
import { cpuSeconds, startWorkerMiniflare } from "./lib/miniflare-worker.ts";

const PINGS = Number(process.argv[2] ?? 1000);
const CALL_MINUTES = Number(process.argv[3] ?? 1);
const FRAMES_PER_MINUTE = 3000;
const IN_FLIGHT = 20;

const audio = Buffer.alloc(960, 7).toString("base64"); // 20 ms of pcm16 at 24 kHz
const frame = (i: number) => JSON.stringify({ type: "input_audio_buffer.append", event_id: `e${i}`, audio });

function connect(url: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  const ws = new WebSocket(url, { headers, perMessageDeflate: false });
  return new Promise((resolve, reject) => (ws.once("open", () => resolve(ws)), ws.once("error", reject)));
}

/** Round trips of one frame at a time, ms. */
async function pingPong(ws: WebSocket, n: number): Promise<number[]> {
  const rtts: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await new Promise<void>((resolve) => {
      ws.once("message", () => resolve());
      ws.send(frame(i));
    });
    rtts.push(performance.now() - t);
  }
  return rtts;
}

/** `n` frames with IN_FLIGHT outstanding, each echoed back. */
async function stream(ws: WebSocket, n: number): Promise<void> {
  let sent = 0,
    back = 0;
  await new Promise<void>((resolve) => {
    ws.on("message", () => {
      back++;
      if (sent < n) ws.send(frame(sent++));
      if (back === n) resolve();
    });
    while (sent < Math.min(n, IN_FLIGHT)) ws.send(frame(sent++));
  });
  ws.removeAllListeners("message");
}

const q = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
};
const r3 = (x: number) => Math.round(x * 1000) / 1000;

const fake = await startFakeRealtime({ echo: true });
const worker = await startWorkerMiniflare({ RELAY_OPENAI_URL: fake.url });
try {
  const relayUrl = `${worker.url.replace(/^http/, "ws")}/v1/relay/openai/realtime?model=gpt-realtime`;
  const cekura = (id: string) => ({
    Authorization: "Bearer sk-bench",
    "X-Cekura-Api-Key": "bench-key",
    "X-Cekura-Agent-Id": "1",
    "X-Cekura-Session-Id": id,
  });

  // Interleaved rounds so both paths see the same machine load.
  const direct: number[] = [];
  const relayed: number[] = [];
  const d = await connect(fake.url);
  const rl = await connect(relayUrl, cekura(`bench-latency-${Date.now()}`));
  await pingPong(d, 50);
  await pingPong(rl, 50); // warm-up
  for (let round = 0; round < 10; round++) {
    direct.push(...(await pingPong(d, PINGS / 10)));
    relayed.push(...(await pingPong(rl, PINGS / 10)));
  }
  d.close();
  rl.close();

  // CPU of one relayed (and recorded) call-minute, in the Worker's process.
  const cpu: number[] = [];
  for (let m = 0; m < CALL_MINUTES; m++) {
    const ws = await connect(relayUrl, cekura(`bench-cpu-${Date.now()}-${m}`));
    const before = cpuSeconds(worker.pid);
    await stream(ws, FRAMES_PER_MINUTE);
    ws.close(1000, "done");
    await new Promise((r) => setTimeout(r, 1500)); // the session's close and finalization, in the same process
    cpu.push((cpuSeconds(worker.pid) - before) * 1000);
  }
  const cpuMsPerMinute = cpu.reduce((a, b) => a + b, 0) / cpu.length;
  const usdPer1000 = (cpuMsPerMinute * 1000 * PRICES.workerCpuMs.usd) / PRICES.workerCpuMs.per;

  // Each relayed message crosses the relay once each way in a round trip: half the added RTT per message.
  const added = (p: number) => (q(relayed, p) - q(direct, p)) / 2;
  const result = {
    pings: relayed.length,
    directRttMs: { p50: r3(q(direct, 0.5)), p99: r3(q(direct, 0.99)) },
    relayedRttMs: { p50: r3(q(relayed, 0.5)), p99: r3(q(relayed, 0.99)) },
    addedPerMessageMs: { p50: r3(added(0.5)), p99: r3(added(0.99)), targetP99: 2 },
    cpuMsPerCallMinute: r3(cpuMsPerMinute),
    cpuUsdPer1000CallMinutes: Math.round(usdPer1000 * 1e6) / 1e6,
  };
  console.log(
    `relay: added latency per message p50 ${result.addedPerMessageMs.p50} ms, p99 ${result.addedPerMessageMs.p99} ms (target p99 <= 2 ms)` +
      ` | round trip direct p50 ${result.directRttMs.p50} / p99 ${result.directRttMs.p99} ms, relayed p50 ${result.relayedRttMs.p50} / p99 ${result.relayedRttMs.p99} ms`,
  );
  console.log(
    `relay: CPU per relayed call-minute ${result.cpuMsPerCallMinute} ms (relay + recording + session DO); CPU cost per 1,000 call-minutes $${result.cpuUsdPer1000CallMinutes}`,
  );
  console.log(`BENCH_JSON ${JSON.stringify(result)}`);
} finally {
  await worker.stop();
  await fake.stop();
}
