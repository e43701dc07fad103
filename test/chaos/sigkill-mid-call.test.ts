/**
 * Chaos: a real call through the SDK while the Worker's process is SIGKILLed twice - once while audio
 * chunks are being uploaded, once while the session is finalizing - and restarted on the same persisted
 * state each time. The SDK only retries. Afterwards there is exactly one record, delivered exactly once
 * to the Cekura stand-in, with every event, and the WAV's markers are where they were played (20 ms).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Session } from "../../sdk/session.ts";
import { startCekuraStandIn, type CekuraStandIn } from "../../worker/local/cekura-standin.ts";
import { deinterleave, onset } from "../audio/signal.ts";
import { parseWavStrict } from "../audio/wav-check.ts";
import { collectingTracer } from "../support/sdk-fixtures.ts";
import { startKillableWorker, type KillableWorker } from "./killable-worker.ts";

const API_KEY = `chaos-${crypto.randomUUID()}`;
const RATE = 16_000;
const CALL_SECONDS = 100;
const USER_MARKERS = [2.0, 23.45, 47.31, 71.2, 95.5];
const ASSISTANT_MARKERS = [5.5, 33.3, 61.23, 88.8];
/** The first crash comes with this audio chunk (1 s chunks), the second with the close request. */
const CRASH_AT_CHUNK = 30;

let standIn: CekuraStandIn;
let worker: KillableWorker;

beforeAll(async () => {
  standIn = await startCekuraStandIn();
  worker = await startKillableWorker({
    CEKURA_HOST: standIn.url,
    FORWARD_BACKOFF_BASE_SECONDS: "0.2",
    FORWARD_BACKOFF_MAX_SECONDS: "1",
    FORWARD_TIMEOUT_SECONDS: "5",
    CLOSE_GRACE_SECONDS: "5",
  });
}, 120_000);
afterAll(async () => {
  await worker?.stop();
  await standIn?.stop();
});

const tone = (ms: number, freq: number) =>
  Int16Array.from({ length: Math.round((RATE * ms) / 1000) }, (_, i) =>
    Math.round(12000 * Math.sin((2 * Math.PI * freq * i) / RATE)),
  );

function channel(markers: number[], freq: number): Int16Array {
  const out = new Int16Array(CALL_SECONDS * RATE);
  for (const m of markers) out.set(tone(60, freq), Math.round(m * RATE));
  return out;
}

async function api<T>(path: string): Promise<{ status: number; body: T }> {
  const res = await fetch(`${worker.url}${path}`, { headers: { authorization: `Bearer ${API_KEY}` } });
  return { status: res.status, body: (await res.json()) as T };
}

describe("a call through two hard crashes of the Worker", () => {
  it("ends as one record delivered once, with every event and the audio markers in place", {
    timeout: 600_000,
  }, async () => {
    const id = `chaos-${crypto.randomUUID()}`;
    const crashes: Promise<unknown>[] = [];
    const crash = (why: string) => {
      crashes.push(
        worker
          .crashAndRestart()
          .then(({ killedPids }) => console.log(`chaos: SIGKILL workerd ${killedPids.join(",")} ${why}; restarted`)),
      );
    };
    let crashedInAudio = false;
    let crashedInClose = false;
    let closeAnsweredBeforeCrash = false;
    let callMs = 0;
    const { cekura: tracer, errors } = collectingTracer({
      apiKey: API_KEY,
      agentId: 42,
      ingestUrl: worker.url,
      captureLogs: false,
      // Enough attempts to outlast a restart (several seconds): close() has no redelivery loop of its own.
      retry: { maxAttempts: 40, baseDelayMs: 200, maxDelayMs: 2000 },
      redeliveryPauseMs: 1000,
      flushTimeoutMs: 240_000,
      closeTimeoutMs: 120_000,
      // 1 s chunks (the default is 5 s): enough of them that the first crash lands mid-upload.
      audio: { sampleRate: RATE, chunkMs: 1000, clock: () => callMs },
      fetch: async (input: RequestInfo | URL, init?: RequestInit) => {
        const url = String(input instanceof Request ? input.url : input);
        const method = init?.method ?? (input instanceof Request ? input.method : "GET");
        if (!crashedInAudio && method === "PUT" && url.endsWith(`/audio/${CRASH_AT_CHUNK}`)) {
          crashedInAudio = true;
          crash(`while audio chunk ${CRASH_AT_CHUNK} was uploading`);
        }
        if (crashedInAudio && !crashedInClose && method === "POST" && url.endsWith("/close")) {
          crashedInClose = true;
          // The Worker finalizes inside the close request (the data is complete): the crash lands in it.
          const attempt = fetch(input, init);
          setTimeout(() => crash("while the session was finalizing"), 25);
          const answer = await attempt; // throws when the crash cut it
          closeAnsweredBeforeCrash = true;
          return answer;
        }
        return fetch(input, init);
      },
    });

    const session = tracer.observe({ sessionId: id }) as unknown as Session;
    const t0 = Date.parse(session.context.callStartedAt);
    const user = channel(USER_MARKERS, 1000);
    const assistant = channel(ASSISTANT_MARKERS, 2000);
    const lines: string[] = [];
    const frame = RATE / 50;
    let nextLine = 0;
    for (let f = 0; f < user.length / frame; f++) {
      callMs = f * 20;
      session.audio("user", user.subarray(f * frame, (f + 1) * frame), RATE, t0 + callMs);
      session.audio("assistant", assistant.subarray(f * frame, (f + 1) * frame), RATE, t0 + callMs);
      const marker = USER_MARKERS[nextLine];
      if (marker !== undefined && callMs >= marker * 1000) {
        const text = `user line ${nextLine} at ${marker} s`;
        lines.push(text);
        session.transcript({ role: "user", text, startedAt: t0 + marker * 1000, endedAt: t0 + marker * 1000 + 800 });
        session.toolCall({ id: `tool-${nextLine}`, name: "lookup", arguments: { line: nextLine } });
        session.toolResult({ id: `tool-${nextLine}`, result: { ok: true } });
        session.log("info", `logged ${nextLine}`);
        nextLine++;
      }
      if (f % 250 === 249) await session.flush();
    }
    const status = await session.close({ reason: "customer-ended-call" });
    await Promise.all(crashes);
    expect(crashedInAudio && crashedInClose).toBe(true);
    // The close request that triggered the second crash was cut by it: finalization was under way.
    expect(closeAnsweredBeforeCrash).toBe(false);
    if (status.state !== "finalized") {
      const now = await api(`/v1/sessions/${id}`);
      expect.fail(
        `the session is ${status.state} after close; status ${JSON.stringify(now.body)}\nWorker output:\n${worker.output().slice(-4000)}`,
      );
    }

    // Delivered exactly once.
    const deadline = Date.now() + 120_000;
    let forward = (await api<{ forward: { status: string } }>(`/v1/sessions/${id}`)).body.forward;
    while (forward.status !== "delivered" && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      forward = (await api<{ forward: { status: string } }>(`/v1/sessions/${id}`)).body.forward;
    }
    expect(forward.status).toBe("delivered");
    expect(standIn.calls().filter((r) => (r.body as { call_id?: string }).call_id === id)).toHaveLength(1);

    // One record with every event.
    const { status: code, body: record } = await api<{
      transcript: { text: string }[];
      toolCalls: { id: string; result: string | null }[];
      logs: { message: string }[];
      audio: { key: string; durationSeconds: number } | null;
    }>(`/v1/sessions/${id}/record`);
    expect(code).toBe(200);
    expect(record.transcript.map((t) => t.text)).toEqual(lines);
    expect(record.toolCalls.map((t) => [t.id, t.result])).toEqual(lines.map((_, i) => [`tool-${i}`, '{"ok":true}']));
    expect(record.logs.map((l) => l.message)).toEqual(lines.map((_, i) => `logged ${i}`));

    // The recording: every marker on its channel within 20 ms.
    expect(record.audio?.durationSeconds).toBeGreaterThanOrEqual(CALL_SECONDS - 1);
    const wavRes = await fetch(`${worker.url}/inspect/${id}/audio.wav`, {
      headers: { authorization: `Bearer ${API_KEY}` },
    });
    const wav = parseWavStrict(new Uint8Array(await wavRes.arrayBuffer()));
    expect(wav).toMatchObject({ sampleRate: RATE, channels: 2 });
    const { left, right } = deinterleave(wav.data);
    const check = (markers: number[], on: Int16Array, off: Int16Array) => {
      for (const m of markers) {
        const from = Math.round((m - 0.3) * RATE);
        const to = Math.round((m + 0.3) * RATE);
        const found = onset(on, 3000, from, to);
        expect(found, `marker at ${m} s`).toBeGreaterThanOrEqual(0);
        expect(Math.abs(found / RATE - m) * 1000, `marker at ${m} s is off by (ms)`).toBeLessThanOrEqual(20);
        expect(onset(off, 3000, from, to), `marker at ${m} s leaked onto the other channel`).toBe(-1);
      }
    };
    check(USER_MARKERS, left, right);
    check(ASSISTANT_MARKERS, right, left);
    expect(errors.filter((e) => e.code !== "connection_error" && e.code !== "timeout")).toEqual([]);
  });
});
