/** Shared by the adapter tests: the real local Worker, a tracer for it, and readers of what it holds. */
import { afterAll, beforeAll, expect } from "vitest";
import { startLocalWorker, type LocalWorker } from "../../worker/local/local-worker.ts";
import { CekuraTracer, type SessionStatus } from "../../sdk/index.ts";
import { spansOf, attr, type WireSpan } from "../sdk/cases/otel.ts";
import type { WireRecord } from "../sdk/cases/worker-client.ts";

export { attr, type WireSpan, type WireRecord };
export const API_KEY = "adapter-test-key";

export interface Harness {
  worker: LocalWorker;
  /** What onError reported, except close()'s capture_gap warnings (many adapter tests record one side on purpose). */
  errors: unknown[];
  /** close()'s capture_gap warnings (test/sdk/capture-gaps-and-stats.test.ts tests them). */
  warnings: unknown[];
  tracer(): CekuraTracer;
  record(
    sessionId: string,
  ): Promise<
    WireRecord & { audio: { key?: string; sampleRate?: number; [k: string]: unknown } | null; traceId: string | null }
  >;
  /** Expects the session's close to end finalized, with nothing reported to onError. */
  finalized(closed: Promise<SessionStatus | undefined> | SessionStatus | undefined): Promise<void>;
  /** The record once the session has finalized: retried until it exists (up to 30 s). */
  finalRecord(sessionId: string): ReturnType<Harness["record"]>;
  spans(sessionId: string): Promise<WireSpan[]>;
  stop(): Promise<void>;
}

export async function startHarness(): Promise<Harness> {
  const worker = await startLocalWorker();
  const errors: unknown[] = [];
  const warnings: unknown[] = [];
  const report = (e: unknown) => ((e as { code?: string }).code === "capture_gap" ? warnings : errors).push(e);
  const get = async (path: string) => {
    const response = await fetch(`${worker.url}${path}`, { headers: { authorization: `Bearer ${API_KEY}` } });
    const body: unknown = await response.json();
    if (response.status !== 200) throw new Error(`GET ${path}: ${response.status} ${JSON.stringify(body)}`);
    return body;
  };
  const record: Harness["record"] = async (id) =>
    (await get(`/v1/sessions/${encodeURIComponent(id)}/record`)) as Awaited<ReturnType<Harness["record"]>>;
  return {
    worker,
    errors,
    warnings,
    tracer: () => new CekuraTracer({ apiKey: API_KEY, agentId: 7, ingestUrl: worker.url, onError: report }),
    record,
    finalized: async (closed) => {
      expect((await closed)?.state).toBe("finalized");
      // A capture-gap warning (e.g. audio on one channel only) is the SDK's advice, kept apart in `warnings`.
      expect(errors).toEqual([]);
    },
    finalRecord: async (id) => {
      const deadline = Date.now() + 30_000;
      for (;;) {
        try {
          return await record(id);
        } catch (error) {
          if (Date.now() > deadline) throw error;
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    },
    spans: async (id) => spansOf(await get(`/v1/traces/${encodeURIComponent(id)}`)),
    stop: () => worker.stop(),
  };
}

/**
 * The harness for a test file: started before its tests, stopped after. Call at the file's top level;
 * its members are the started harness's (reading one before beforeAll ran throws).
 */
export function useHarness(): Harness {
  let started: Harness | undefined;
  beforeAll(async () => {
    started = await startHarness();
  });
  afterAll(() => started?.stop());
  return new Proxy({} as Harness, {
    get(_target, key) {
      if (!started) throw new Error("the adapter test harness starts in beforeAll");
      return Reflect.get(started, key);
    },
  });
}

/** One second of a sine tone as mono s16le PCM. */
export function tone(sampleRate: number, hz: number, seconds = 1): Int16Array {
  const pcm = new Int16Array(Math.round(sampleRate * seconds));
  for (let i = 0; i < pcm.length; i++) pcm[i] = Math.round(8000 * Math.sin((2 * Math.PI * hz * i) / sampleRate));
  return pcm;
}

export { UTC_MS } from "../sdk/cases/assert.ts";

/** A fresh session id per test. */
export { uniqueId as uid } from "../support/ids.ts";
