/** Shared by the relay tests: the fake Realtime server, the real local Worker relaying to it, and readers. */
import { afterAll, beforeAll } from "vitest";
import { startHarness, type Harness } from "../support/harness.ts";
import { startFakeRealtime, type FakeRealtime, type FakeRealtimeOptions } from "../support/fake-realtime.ts";
import { readStoredObject } from "../support/r2-read.ts";
import { parseWavStrict } from "../audio/wav-check.ts";
import { deinterleave, onset } from "../audio/signal.ts";
import type { WireRecord } from "../sdk/cases/worker-client.ts";

export const CEKURA_KEY = "relay-test-cekura-key";
export const OPENAI_KEY = "sk-relay-test-openai-key";
export const AGENT_ID = "42";

export interface RelayHarness {
  fake: FakeRealtime;
  h: Harness;
  /** ws://.../v1/relay/openai/realtime */
  relayUrl: string;
  /** http://.../v1/relay/openai (an OpenAI client's baseURL) */
  relayBase: string;
  cekuraHeaders(sessionId: string, extra?: Record<string, string>): Record<string, string>;
  status(sessionId: string): Promise<{ status: number; body: Record<string, unknown> }>;
  finalizedRecord(sessionId: string): Promise<RelayRecord>;
  stereo(record: RelayRecord): Promise<{ left: Int16Array; right: Int16Array; rate: number }>;
  stop(): Promise<void>;
}

export type RelayRecord = WireRecord & { audio: { key?: string; [k: string]: unknown } | null; startedAt?: string };

export async function startRelayHarness(
  options: FakeRealtimeOptions = {},
  vars: Record<string, string> = {},
  persistTo?: string,
): Promise<RelayHarness> {
  const fake = await startFakeRealtime(options);
  const h = await startHarness({ vars: { RELAY_OPENAI_URL: fake.url, ...vars }, persistTo });
  const get = async (path: string) => {
    const response = await fetch(`${h.worker.url}${path}`, { headers: { authorization: `Bearer ${CEKURA_KEY}` } });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  return {
    fake,
    h,
    relayUrl: `${h.worker.url.replace(/^http/, "ws")}/v1/relay/openai/realtime`,
    relayBase: `${h.worker.url}/v1/relay/openai`,
    cekuraHeaders: (sessionId, extra = {}) => ({
      "X-Cekura-Api-Key": CEKURA_KEY,
      "X-Cekura-Agent-Id": AGENT_ID,
      "X-Cekura-Session-Id": sessionId,
      ...extra,
    }),
    status: (id) => get(`/v1/sessions/${encodeURIComponent(id)}`),
    async finalizedRecord(id) {
      const deadline = Date.now() + 40_000;
      for (;;) {
        const { status, body } = await get(`/v1/sessions/${encodeURIComponent(id)}/record`);
        if (status === 200) return body as unknown as RelayRecord;
        if (Date.now() > deadline) throw new Error(`no record for ${id}: ${status} ${JSON.stringify(body)}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    },
    async stereo(record) {
      const wav = parseWavStrict((await readStoredObject(h.worker.persistTo, record.audio!.key!))!);
      return { ...deinterleave(wav.data), rate: wav.sampleRate };
    },
    stop: async () => {
      await h.stop();
      await fake.stop();
    },
  };
}

/**
 * A relay harness for the whole file: started in beforeAll (vars may be computed then), stopped in afterAll.
 * The returned object reads the running harness, so use it inside tests and hooks.
 */
export function useRelayHarness(
  options: FakeRealtimeOptions,
  vars: Record<string, string> | (() => Promise<Record<string, string>>) = {},
): RelayHarness {
  let started: RelayHarness | undefined;
  beforeAll(async () => {
    started = await startRelayHarness(options, typeof vars === "function" ? await vars() : vars);
  });
  afterAll(() => started?.stop());
  return new Proxy({} as RelayHarness, {
    get(_, key) {
      if (!started) throw new Error("the relay harness starts in beforeAll: use it inside a test or a hook");
      return started[key as keyof RelayHarness];
    },
  });
}

/** Onsets (seconds) of loud bursts: each crossing of `threshold`, a burst counted once. */
export function burstOnsets(x: Int16Array, rate: number, threshold = 10_000, burstMs = 100): number[] {
  const found: number[] = [];
  for (let i = onset(x, threshold); i >= 0; i = onset(x, threshold, i + Math.round((burstMs / 1000) * rate)))
    found.push(i / rate);
  return found;
}

/**
 * A client's model of playback: each audio delta plays after what is queued, or at once when nothing is
 * (what the relay assumes too). Returns where each item's audio starts on the client's clock (ms).
 */
export class ClientPlayback {
  #end = 0;
  readonly starts = new Map<string, number>();
  received(itemId: string, ms: number, now = performance.timeOrigin + performance.now()): void {
    const start = Math.max(now, this.#end);
    if (!this.starts.has(itemId)) this.starts.set(itemId, start);
    this.#end = start + ms;
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const nowMs = () => performance.timeOrigin + performance.now();

/** Sends `frames` (each `frameMs` long) in real time against absolute deadlines; resolves with the first send time. */
export async function paced(frames: Array<() => void>, frameMs: number): Promise<number> {
  const t0 = nowMs();
  for (let i = 0; i < frames.length; i++) {
    const wait = t0 + i * frameMs - nowMs();
    if (wait > 1) await sleep(wait);
    frames[i]!();
  }
  return t0;
}
