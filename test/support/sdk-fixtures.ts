/**
 * Fixtures for SDK tests in Node that run against the real local Worker: the Worker for the file, a tracer
 * whose reports are collected, the session's record as the Worker keeps it, and a tone to record.
 */
import { afterAll, beforeAll, expect } from "vitest";
import { CekuraTracer, type CekuraTracerOptions, type SdkError } from "../../sdk/index.ts";
import { startLocalWorker, type LocalWorker, type LocalWorkerOptions } from "../../worker/local/local-worker.ts";

/** The local Worker of one test file, read through to the running process (so used inside tests and hooks only). */
export interface LocalWorkerFixture {
  readonly worker: LocalWorker;
  readonly url: string;
  /** The session's finalized record, fetched with `apiKey` (the Worker must answer 200). */
  record<T = Record<string, unknown>>(apiKey: string, sessionId: string): Promise<T>;
}

/** Starts the local Worker before the tests of the file (or describe block) that calls it, and stops it after them. */
export function useLocalWorker(options: LocalWorkerOptions = {}): LocalWorkerFixture {
  let started: LocalWorker | undefined;
  beforeAll(async () => {
    started = await startLocalWorker(options);
  }, 120_000);
  afterAll(async () => started?.stop());
  const running = () => {
    if (!started) throw new Error("the local Worker starts in beforeAll: use it inside a test or a hook");
    return started;
  };
  return {
    get worker() {
      return running();
    },
    get url() {
      return running().url;
    },
    async record<T>(apiKey: string, sessionId: string): Promise<T> {
      const response = await fetch(`${running().url}/v1/sessions/${sessionId}/record`, {
        headers: { authorization: `Bearer ${apiKey}` },
      });
      expect(response.status).toBe(200);
      return (await response.json()) as T;
    },
  };
}

/** A tracer whose onError reports land in `errors`; traces are off unless `options` turn them on. */
export function collectingTracer(options: Omit<CekuraTracerOptions, "onError">): {
  cekura: CekuraTracer;
  errors: SdkError[];
} {
  const errors: SdkError[] = [];
  const cekura = new CekuraTracer({ enableOtelTraces: false, ...options, onError: (e) => errors.push(e) });
  return { cekura, errors };
}

/** `n` mono samples of a sine at amplitude 8000 (about 318 Hz at 16 kHz): audio with something in it. */
export const tone = (n: number) => Int16Array.from({ length: n }, (_, i) => Math.round(8000 * Math.sin(i / 8)));
