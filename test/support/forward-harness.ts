/**
 * The forwarding tests' harness (test/support/harness.ts with small backoff values) and the few HTTP
 * calls they make, answered as {status, json}.
 */
import { afterAll, beforeAll } from "vitest";
import { CekuraTracer, type CekuraTracerOptions } from "../../sdk/index.ts";
import type { CekuraStandIn } from "../../worker/local/cekura-standin.ts";
import { startHarness, type Harness } from "./harness.ts";
import { workerApi } from "./worker-api.ts";

export const FORWARD_TEST_VARS = {
  FORWARD_BACKOFF_BASE_SECONDS: "0.2",
  FORWARD_BACKOFF_MAX_SECONDS: "1",
  FORWARD_MAX_ATTEMPTS: "4",
  FORWARD_TIMEOUT_SECONDS: "3",
  CLOSE_GRACE_SECONDS: "5",
} as const;

export type ForwardHarness = Harness;

/** The harness with the stand-in and small backoff values. */
export function startForwardHarness(vars: Record<string, string> = {}): Promise<ForwardHarness> {
  return startHarness({ vars: { ...FORWARD_TEST_VARS, ...vars } });
}

export const KEY = "forward-test-key-1";
/** Calls in these tests start a minute before the module loaded; `at(ms)` is ms after that start. */
export const CALL_START = Math.floor(Date.now() / 1000) * 1000 - 60_000;
export const at = (ms: number) => new Date(CALL_START + ms).toISOString();

export interface ForwardStatus {
  status: string;
  attempts: number;
  nextAttemptAt: string | null;
  lastError: string | null;
  deliveredAt: string | null;
}

export function api(h: ForwardHarness, key = KEY) {
  // The Worker's URL changes on restart: resolve it per call.
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await workerApi({ baseUrl: h.worker.url, key }).call(method, path, body);
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };
  const forward = async (id: string): Promise<ForwardStatus> => {
    const { json } = await call("GET", `/v1/sessions/${id}`);
    return json.forward as ForwardStatus;
  };
  /** Polls status until forward.status is one of `wanted`. */
  const waitForward = async (id: string, wanted: string[], timeoutMs = 45_000): Promise<ForwardStatus> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const now = await forward(id);
      if (wanted.includes(now.status)) return now;
      if (Date.now() > deadline)
        throw new Error(`forward of ${id} is still ${JSON.stringify(now)} after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  // Plain functions, no `this`: a test may take them off the object (`const { settled } = h.api()`).
  return {
    call,
    fragment: (id: string, body: unknown) => call("POST", `/v1/sessions/${id}/fragments`, body),
    close: (id: string, body: unknown) => call("POST", `/v1/sessions/${id}/close`, body),
    status: (id: string) => call("GET", `/v1/sessions/${id}`),
    record: (id: string) => call("GET", `/v1/sessions/${id}/record`),
    requeue: (id: string) => call("POST", `/v1/sessions/${id}/forward/requeue`),
    /** An OTLP/HTTP JSON batch, as an exporter would post it. */
    traces: (body: unknown) => call("POST", "/v1/traces", body),
    forward,
    waitForward,
    /** Waits until the forward is settled: delivered or dead-lettered. */
    settled: (id: string): Promise<ForwardStatus> => waitForward(id, ["delivered", "dead_letter"]),
  };
}

/** A small observe or track call: two turns, one tool call with its result, a log and metadata. */
export function sampleFragment(mode: "observe" | "track", extra: Record<string, unknown> = {}) {
  return {
    agentId: 42,
    mode,
    seq: 0,
    sentAt: at(5000),
    callStartedAt: at(0),
    events: [
      { kind: "metadata", patch: { plan: "gold", customer_number: "+15550001111" }, time: at(0) },
      { kind: "transcript", role: "user", text: "What is my balance?", startedAt: at(1000), endedAt: at(2200) },
      { kind: "tool_call", id: "call_1", name: "get_balance", arguments: '{"account":"A-1"}', time: at(2500) },
      { kind: "tool_result", id: "call_1", result: '{"balance":12.5}', isError: false, time: at(2700) },
      { kind: "transcript", role: "assistant", text: "It is 12.50 dollars.", startedAt: at(3000), endedAt: at(4500) },
      { kind: "log", level: "info", message: "answered", time: at(4600), attributes: { turn: 1 } },
    ],
    ...extra,
  };
}

export { uniqueId as sessionId } from "./ids.ts";

/** Sends the sample call and closes it; returns once the Worker has finalized it. */
export async function runCall(h: ForwardHarness, id: string, mode: "observe" | "track" = "observe", key = KEY) {
  const client = api(h, key);
  const sent = await client.fragment(id, sampleFragment(mode));
  if (sent.status !== 200) throw new Error(`fragment: ${sent.status} ${JSON.stringify(sent.json)}`);
  const closed = await client.close(id, { lastSeq: 0, reason: "customer-ended-call" });
  if (closed.json.state !== "finalized") throw new Error(`close: ${closed.status} ${JSON.stringify(closed.json)}`);
  return client;
}

export const requestsFor = (standIn: CekuraStandIn, id: string) =>
  standIn.received.filter((r) => {
    const body = r.body as { call_id?: string; calls?: { id: string }[] } | null;
    return body?.call_id === id || body?.calls?.some((c) => c.id === id);
  });

/** The harness of one test file, with its calls bound: what `useForwardHarness` returns. */
export interface ForwardFixture extends ForwardHarness {
  api(key?: string): ReturnType<typeof api>;
  runCall(id: string, mode?: "observe" | "track", key?: string): ReturnType<typeof runCall>;
  /** What the stand-in received for this call id. */
  requests(id: string): ReturnType<typeof requestsFor>;
  /** The observe calls the stand-in stored for this call id (a repeated call id is refused, not stored). */
  storedCalls(id: string): ReturnType<CekuraStandIn["calls"]>;
  /** An SDK tracer on this Worker with the tests' key and agent, reporting nothing unless `onError` is given. */
  tracer(options?: Partial<CekuraTracerOptions>): CekuraTracer;
}

/**
 * Starts the forwarding harness before the file's tests (after the hooks registered earlier, so `vars` may be
 * a function of what they started) and stops it after them. The returned fixture reads
 * through to the running harness, so it is used inside tests and hooks only (it throws before `beforeAll`).
 */
export function useForwardHarness(vars: Record<string, string> | (() => Record<string, string>) = {}): ForwardFixture {
  let started: ForwardHarness | undefined;
  beforeAll(async () => {
    started = await startForwardHarness(typeof vars === "function" ? vars() : vars);
  });
  afterAll(() => started?.stop());
  const running = (): ForwardHarness => {
    if (!started) throw new Error("the forward harness starts in beforeAll: use it inside a test or a hook");
    return started;
  };
  const fixture: ForwardFixture = {
    get standIn() {
      return running().standIn;
    },
    get worker() {
      return running().worker;
    },
    get vars() {
      return running().vars;
    },
    restartWorker: () => running().restartWorker(),
    stop: () => running().stop(),
    api: (key) => api(fixture, key),
    runCall: (id, mode, key) => runCall(fixture, id, mode, key),
    requests: (id) => requestsFor(running().standIn, id),
    storedCalls: (id) =>
      running()
        .standIn.calls()
        .filter((r) => (r.body as { call_id?: string }).call_id === id),
    tracer: (options) =>
      new CekuraTracer({ apiKey: KEY, agentId: 42, ingestUrl: running().worker.url, onError: () => {}, ...options }),
  };
  return fixture;
}
