/**
 * The Worker API inside workerd (vitest-pool-workers): calls go to SELF, the Worker under test.
 * One fixed call clock (`at`), keys of two tenants, and the helpers every test/worker file uses.
 */
import { SELF } from "cloudflare:test";
import { sha256Hex } from "../../../worker/util/sha256.ts";
import { clockFrom, fragmentBody, workerApi } from "../worker-api.ts";

export { uniqueId } from "../ids.ts";

export const KEY = "test-key-tenant-a";
export const OTHER_KEY = "test-key-tenant-b";
export const BASE = "http://ingest.test";

export const at = clockFrom(Date.UTC(2026, 10, 25, 12, 0, 0));

export const apiFor = (key: string) => workerApi({ baseUrl: BASE, key, fetch: (request) => SELF.fetch(request) });
export const api = apiFor(KEY);

export const fragment = (seq: number, events: unknown[] = [], extra: Record<string, unknown> = {}) =>
  fragmentBody(seq, events, extra, at);

export const say = (role: string, text: string, startMs: number, endMs = startMs + 500) => ({
  kind: "transcript",
  role,
  text,
  startedAt: at(startMs),
  endedAt: at(endMs),
});

/** Any request with KEY (or `key`, or none with null). */
export const call = (
  method: string,
  path: string,
  body?: unknown,
  key: string | null = KEY,
  headers: Record<string, string> = {},
) => api.call(method, path, body, headers, key);

export const sendFragment = (id: string, f: unknown, key: string = KEY) => apiFor(key).fragment(id, f);
export const closeSession = (id: string, body: unknown, key: string = KEY) => apiFor(key).close(id, body);
export const getStatus = (id: string, key: string = KEY) => apiFor(key).status(id);
export const getRecord = (id: string, key: string = KEY) => apiFor(key).record(id);

/** The tenant a key maps to (its SHA-256), as the Worker computes it. */
export const tenantOf = (key: string) => sha256Hex(key);

/** One stereo frame: the smallest audio chunk a client can send. */
export const ONE_FRAME = new Uint8Array([1, 2, 3, 4]);

/** PUTs ONE_FRAME as chunk `seq` at `startFrame` of the call's timeline; its intro may make it the first contact. */
export const putOneFrame = (id: string, seq: number, startFrame: number, sampleRate: number) =>
  api.putAudio(id, seq, ONE_FRAME, { intro: { agentId: 42, mode: "observe" }, sampleRate, startFrame });

/** Deterministic pseudo-random PCM bytes (a whole number of stereo frames). */
export function pcm(bytes: number, seed: number): Uint8Array {
  const out = new Uint8Array(bytes);
  let x = seed * 2654435761 + 1;
  for (let i = 0; i < bytes; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}
