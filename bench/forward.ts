/**
 * Forwarding cost on this machine (local workerd + the Cekura stand-in, both on 127.0.0.1):
 * - close -> delivered for N small observe calls closed at once (JSON payload), beside a direct POST of
 *   the same payload from Node to the stand-in (the floor: no Durable Object, no alarm);
 * - close -> delivered for one call with a long recording (streamed multipart from R2), beside a direct
 *   multipart POST of the same WAV bytes from Node.
 * `BENCH_JSON {...}` last. Run: npx tsx bench/forward.ts   (BENCH_FORWARD_CALLS=20, BENCH_FORWARD_AUDIO_SECONDS=600)
 */
import { startCekuraStandIn } from "../worker/local/cekura-standin.ts";
import { startLocalWorker } from "../worker/local/local-worker.ts";

const CALLS = Number(process.env.BENCH_FORWARD_CALLS ?? 20);
const AUDIO_SECONDS = Number(process.env.BENCH_FORWARD_AUDIO_SECONDS ?? 600);
const RATE = 16_000;
const KEY = "bench-forward-key";
const start = Date.now() - 60_000;
const at = (ms: number) => new Date(start + ms).toISOString();

const standIn = await startCekuraStandIn();
const worker = await startLocalWorker({ vars: { CEKURA_HOST: standIn.url, FORWARD_TIMEOUT_SECONDS: "120" } });
const auth = { authorization: `Bearer ${KEY}` };

function fragment() {
  const events: unknown[] = [];
  for (let i = 0; i < 40; i++) {
    events.push({
      kind: "transcript",
      role: i % 2 ? "assistant" : "user",
      text: `turn ${i} `.repeat(12),
      startedAt: at(i * 3000),
      endedAt: at(i * 3000 + 2000),
    });
  }
  return { agentId: 1, mode: "observe", seq: 0, sentAt: at(200_000), callStartedAt: at(0), events };
}

async function deliveredAfterClose(id: string, closedAt: number): Promise<number> {
  for (;;) {
    const status = (await (await fetch(`${worker.url}/v1/sessions/${id}`, { headers: auth })).json()) as {
      forward: { status: string; deliveredAt: string | null };
    };
    if (status.forward.status === "delivered") return Date.parse(status.forward.deliveredAt!) - closedAt;
    if (status.forward.status === "dead_letter") throw new Error(`${id} dead-lettered`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function call(id: string, pcm?: Uint8Array): Promise<number> {
  await fetch(`${worker.url}/v1/sessions/${id}/fragments`, {
    method: "POST",
    headers: { ...auth, "content-type": "application/json" },
    body: JSON.stringify(fragment()),
  });
  let lastAudioSeq = -1;
  if (pcm) {
    const chunk = 4 * 1024 * 1024;
    for (let off = 0, seq = 0; off < pcm.byteLength; off += chunk, seq++) {
      const res = await fetch(`${worker.url}/v1/sessions/${id}/audio/${seq}`, {
        method: "PUT",
        headers: { ...auth, "content-type": "application/octet-stream", "x-audio-sample-rate": String(RATE) },
        body: pcm.subarray(off, Math.min(off + chunk, pcm.byteLength)) as Uint8Array<ArrayBuffer>,
      });
      if (!res.ok) throw new Error(`audio ${seq}: ${res.status} ${await res.text()}`);
      lastAudioSeq = seq;
    }
  }
  const closedAt = Date.now();
  await fetch(`${worker.url}/v1/sessions/${id}/close`, {
    method: "POST",
    headers: { ...auth, "content-type": "application/json" },
    body: JSON.stringify({ lastSeq: 0, lastAudioSeq, reason: "agent-ended-call" }),
  });
  return deliveredAfterClose(id, closedAt);
}

const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

try {
  // Small calls, closed at once.
  const ids = Array.from({ length: CALLS }, (_, i) => `bench-fwd-${Date.now()}-${i}`);
  const latencies = await Promise.all(ids.map((id) => call(id)));
  const sample = standIn.calls()[0]!.body;
  const direct: number[] = [];
  for (let i = 0; i < CALLS; i++) {
    const t = performance.now();
    const res = await fetch(`${standIn.url}/observability/v1/observe/`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-cekura-api-key": KEY },
      body: JSON.stringify({ ...(sample as object), call_id: `direct-${Date.now()}-${i}` }),
    });
    await res.text();
    direct.push(performance.now() - t);
  }

  // One long recording.
  const pcm = new Uint8Array(AUDIO_SECONDS * RATE * 4);
  for (let i = 0; i < pcm.length; i += 2) pcm[i] = i & 0xff;
  const audioMs = await call(`bench-fwd-audio-${Date.now()}`, pcm);
  const wav = standIn.calls().at(-1)!.files[0]!.bytes;
  const t = performance.now();
  const form = new FormData();
  form.set("call_id", `direct-audio-${Date.now()}`);
  form.set("agent", "1");
  form.set("transcript_type", "pipecat");
  form.set("transcript_json", "[]");
  form.set("voice_recording", new Blob([wav as Uint8Array<ArrayBuffer>], { type: "audio/wav" }), "a.wav");
  await (
    await fetch(`${standIn.url}/observability/v1/observe/`, {
      method: "POST",
      headers: { "x-cekura-api-key": KEY },
      body: form,
    })
  ).text();
  const directAudioMs = performance.now() - t;

  const result = {
    calls: CALLS,
    closeToDeliveredMs: { p50: pct(latencies, 50), p95: pct(latencies, 95), max: Math.max(...latencies) },
    directPostMs: { p50: Math.round(pct(direct, 50)), p95: Math.round(pct(direct, 95)) },
    audio: {
      seconds: AUDIO_SECONDS,
      wavBytes: wav.byteLength,
      closeToDeliveredMs: audioMs,
      directMultipartPostMs: Math.round(directAudioMs),
    },
  };
  console.log(
    `${CALLS} small observe calls closed at once: close -> delivered p50 ${result.closeToDeliveredMs.p50} ms, p95 ${result.closeToDeliveredMs.p95} ms (direct POST from Node p50 ${result.directPostMs.p50} ms)`,
  );
  console.log(
    `${AUDIO_SECONDS} s recording (${(wav.byteLength / 1e6).toFixed(1)} MB WAV): close -> delivered ${audioMs} ms (direct multipart POST from Node ${result.audio.directMultipartPostMs} ms)`,
  );
  console.log(`BENCH_JSON ${JSON.stringify(result)}`);
} finally {
  await worker.stop();
  await standIn.stop();
}
