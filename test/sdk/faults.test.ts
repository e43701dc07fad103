/**
 * Delivery under faults, in Node: a fault proxy between the SDK and the real local Worker drops,
 * delays, duplicates and reorders requests, answers 400/429 itself, or is not there at all.
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  ApiError,
  CekuraTracer,
  ConnectionError,
  SessionClosedError,
  TimeoutError,
  type SdkError,
} from "../../sdk/index.ts";
import { fragmentSchema } from "../../sdk/protocol.ts";
import { freePort } from "../../worker/local/ports.ts";
import {
  requestJson,
  seededRandom,
  startFaultProxy,
  type FaultAction,
  type FaultProxy,
} from "../support/fault-proxy.ts";
import { useLocalWorker } from "../support/sdk-fixtures.ts";

// A short close grace, so a session with a fragment the SDK gave up on finalizes quickly.
const worker = useLocalWorker({ vars: { CLOSE_GRACE_SECONDS: "1" } });
let proxy: FaultProxy | undefined;
const apiKey = `faults-${crypto.randomUUID()}`;
const agentId = 77;

afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
});

const fastRetry = { baseDelayMs: 20, maxDelayMs: 200, maxAttempts: 6, maxRetryAfterMs: 5_000 };

function tracer(ingestUrl: string, extra: Record<string, unknown> = {}) {
  const errors: SdkError[] = [];
  const cekura = new CekuraTracer({
    apiKey,
    agentId,
    ingestUrl,
    onError: (e) => errors.push(e),
    retry: fastRetry,
    requestTimeoutMs: 3_000,
    ...extra,
  });
  return { cekura, errors };
}

const record = (sessionId: string) =>
  worker.record<{
    transcript: { text: string }[];
    toolCalls: { id: string; arguments: string | null; result: string | null }[];
    logs: { message: string }[];
    metadata: Record<string, unknown>;
    fragments: { received: number; lastSeq: number; missing: number[] };
  }>(apiKey, sessionId);

/** A tracer on a free 127.0.0.1 port that nothing listens on yet (a fault proxy opens it later), and its session. */
async function sessionOnClosedPort(name: string, extra: Record<string, unknown>) {
  const port = await freePort();
  const { cekura, errors } = tracer(`http://127.0.0.1:${port}`, extra);
  return { port, errors, s: cekura.observe({ sessionId: `${name}-${crypto.randomUUID()}` }) };
}

const fragmentKey = (path: string, headers: Record<string, string>) =>
  path.endsWith("/fragments") ? headers["idempotency-key"] : undefined;

describe("SDK delivery under faults", () => {
  it("drops, delays, duplicates and reorders: the record holds every event exactly once, in order", async () => {
    const random = seededRandom(20261125);
    const kinds: FaultAction[] = [
      { kind: "drop-request" },
      { kind: "drop-response" },
      { kind: "delay", ms: 150 },
      { kind: "duplicate" },
      { kind: "hold", holdMs: 400 },
    ];
    proxy = await startFaultProxy(worker.url, (r) => {
      if (r.method !== "POST") return { kind: "forward" };
      // Faults on 60% of POSTs (fragments and close alike).
      return random() < 0.6 ? kinds[Math.floor(random() * kinds.length)]! : { kind: "forward" };
    });
    const { cekura, errors } = tracer(proxy.url, { maxBatchEvents: 10, flushIntervalMs: 10, maxConcurrentRequests: 3 });
    const s = cekura.observe({ sessionId: `faults-${crypto.randomUUID()}` });
    for (let i = 0; i < 300; i++) {
      s.transcript({
        role: i % 2 ? "assistant" : "user",
        text: `t${i}`,
        startedAt: 1_790_000_000_000 + i,
        endedAt: 1_790_000_000_000 + i,
      });
      if (i % 5 === 0) s.toolCall({ id: `c${i}`, name: "lookup", arguments: { i } });
      if (i % 5 === 0) s.toolResult({ id: `c${i}`, result: { ok: i } });
      if (i % 7 === 0) s.log("info", `l${i}`);
      if (i % 20 === 0) await new Promise((r) => setTimeout(r, 15));
    }
    s.setCustomMetadata({ done: true });
    const status = await s.close({ reason: "customer-ended-call" });
    expect(status.state).toBe("finalized");

    const r = await record(s.id);
    expect(r.transcript.map((t) => t.text)).toEqual([...Array(300).keys()].map((i) => `t${i}`));
    expect(r.toolCalls.map((c) => c.id)).toEqual([...Array(60).keys()].map((i) => `c${i * 5}`));
    expect(r.toolCalls.every((c) => c.arguments !== null && c.result !== null)).toBe(true);
    expect(r.logs.map((l) => l.message)).toEqual([...Array(43).keys()].map((i) => `l${i * 7}`));
    expect(r.metadata).toEqual({ done: true });
    expect(r.fragments.missing).toEqual([]);

    // The faults really happened, and every retry of a fragment repeated its body byte for byte.
    const used = new Set(proxy.requests.map((q) => q.action));
    for (const k of kinds) expect(used, `fault ${k.kind} was injected`).toContain(k.kind);
    const bodies = new Map<string, Buffer>();
    let repeats = 0;
    for (const q of proxy.requests) {
      const key = fragmentKey(q.path, q.headers);
      if (!key) continue;
      const seen = bodies.get(key);
      if (seen) {
        repeats++;
        expect(q.body.equals(seen), `retry of ${key} has the same body`).toBe(true);
      } else bodies.set(key, q.body);
      // What travels is the protocol's fragment (the Worker's schema accepts it).
      expect(fragmentSchema.safeParse(requestJson(q)).success).toBe(true);
    }
    expect(repeats).toBeGreaterThan(0);
    expect(bodies.size).toBe(s.lastSeq + 1);
    expect(errors.every((e) => !(e instanceof ApiError) || e.status >= 500)).toBe(true);
  });

  it("a 400 answer is reported through onError with the Worker's detail and never retried", async () => {
    proxy = await startFaultProxy(worker.url, (r) =>
      r.headers["idempotency-key"]?.endsWith("#1")
        ? {
            kind: "respond",
            status: 400,
            body: { error: "invalid_fragment", detail: "events.0.text: must be at most 65536 characters" },
          }
        : { kind: "forward" },
    );
    const { cekura, errors } = tracer(proxy.url, { maxBatchEvents: 2, flushIntervalMs: 5, maxConcurrentRequests: 1 });
    const s = cekura.track({ sessionId: `bad-request-${crypto.randomUUID()}` });
    for (let i = 0; i < 6; i++) s.transcript({ role: "user", text: `t${i}` });
    await s.flush();
    const status = await s.close();

    const seq1 = proxy.requests.filter((q) => q.headers["idempotency-key"]?.endsWith("#1"));
    expect(seq1).toHaveLength(1);
    expect(errors).toHaveLength(1);
    const error = errors[0] as ApiError;
    expect(error).toBeInstanceOf(ApiError);
    expect([error.status, error.code, error.detail]).toEqual([
      400,
      "invalid_fragment",
      "events.0.text: must be at most 65536 characters",
    ]);
    // The Worker finalizes after its grace time and says which fragment never came.
    expect(status.state).toBe("finalized");
    const r = await record(s.id);
    expect(r.fragments.missing).toEqual([1]);
    expect(r.transcript.map((t) => t.text)).toEqual(["t0", "t1", "t4", "t5"]);
  });

  it("honours Retry-After on 429 and 503 before trying again", async () => {
    const answered = new Set<string>();
    proxy = await startFaultProxy(worker.url, (r) => {
      const key = fragmentKey(r.path, r.headers);
      if (!key || answered.has(key)) return { kind: "forward" };
      answered.add(key);
      return key.endsWith("#0")
        ? {
            kind: "respond",
            status: 429,
            headers: { "retry-after": "1" },
            body: { error: "rate_limited", detail: "slow down" },
          }
        : {
            kind: "respond",
            status: 503,
            headers: { "retry-after": "1" },
            body: { error: "unavailable", detail: "try later" },
          };
    });
    // Our own backoff is at most 5 ms here, so a 1 s gap can only come from Retry-After.
    const { cekura, errors } = tracer(proxy.url, {
      retry: { ...fastRetry, baseDelayMs: 1, maxDelayMs: 5 },
      maxBatchEvents: 1,
      maxConcurrentRequests: 1,
    });
    const s = cekura.track({ sessionId: `retry-after-${crypto.randomUUID()}` });
    s.transcript({ role: "user", text: "a" });
    s.transcript({ role: "user", text: "b" });
    await s.close();
    for (const seq of ["#0", "#1"]) {
      const attempts = proxy.requests.filter((q) => q.headers["idempotency-key"]?.endsWith(seq));
      expect(attempts).toHaveLength(2);
      expect(attempts[1]!.receivedAt - attempts[0]!.receivedAt).toBeGreaterThanOrEqual(950);
    }
    expect(errors).toEqual([]);
    expect((await record(s.id)).transcript.map((t) => t.text)).toEqual(["a", "b"]);
  });

  it("the Worker down for a while, then up: everything recorded meanwhile is delivered", async () => {
    const { port, errors, s } = await sessionOnClosedPort("down", {
      retry: { baseDelayMs: 20, maxDelayMs: 100, maxAttempts: 3 },
      redeliveryPauseMs: 100,
      maxBatchEvents: 5,
      flushIntervalMs: 10,
    });
    for (let i = 0; i < 40; i++) s.transcript({ role: "user", text: `while down ${i}` });
    const flushed = s.flush();
    // Nothing listens on the port yet: wait until the SDK has reported connection failures.
    while (errors.length < 3) await new Promise((r) => setTimeout(r, 50));
    expect(errors.every((e) => e instanceof ConnectionError)).toBe(true);
    for (let i = 40; i < 50; i++) s.transcript({ role: "assistant", text: `still down ${i}` });
    proxy = await startFaultProxy(worker.url, () => ({ kind: "forward" }), port);
    await flushed;
    const status = await s.close();
    expect(status.state).toBe("finalized");
    const r = await record(s.id);
    expect(r.transcript.map((t) => t.text)).toEqual([
      ...[...Array(40).keys()].map((i) => `while down ${i}`),
      ...[...Array(10).keys()].map((i) => `still down ${i + 40}`),
    ]);
    expect(r.fragments.missing).toEqual([]);
  });

  it("close() while the Worker is unreachable rejects with TimeoutError; a later close() delivers everything", async () => {
    const { port, errors, s } = await sessionOnClosedPort("close-retry", {
      retry: { baseDelayMs: 20, maxDelayMs: 50, maxAttempts: 2 },
      redeliveryPauseMs: 50,
      closeTimeoutMs: 500,
    });
    s.transcript({ role: "user", text: "said before the outage" });
    await expect(s.close()).rejects.toBeInstanceOf(TimeoutError);
    s.transcript({ role: "user", text: "x" }); // after close(): never thrown, reported once
    expect(errors.filter((e) => e instanceof SessionClosedError)).toHaveLength(1);
    expect(errors.some((e) => e instanceof ConnectionError)).toBe(true);
    proxy = await startFaultProxy(worker.url, () => ({ kind: "forward" }), port);
    const status = await s.close();
    expect(status.state).toBe("finalized");
    expect((await record(s.id)).transcript.map((t) => t.text)).toEqual(["said before the outage"]);
  });

  it("a full queue reports the overflow and evicts logs before transcript, tool and metadata events", async () => {
    const { cekura, errors } = tracer(worker.url, { maxQueueBytes: 16 * 1024, flushIntervalMs: 60_000 });
    const s = cekura.observe({ sessionId: `overflow-${crypto.randomUUID()}` });
    const filler = "x".repeat(200);
    // All synchronous: the flusher cannot drain anything in between.
    for (let i = 0; i < 100; i++) s.log("info", `log ${i} ${filler}`);
    for (let i = 0; i < 20; i++) {
      s.transcript({ role: "user", text: `turn ${i} ${filler}` });
      s.toolCall({ id: `c${i}`, name: "f", arguments: { filler } });
      s.toolResult({ id: `c${i}`, result: i });
    }
    s.setCustomMetadata({ kept: true });
    await new Promise((r) => setTimeout(r, 0));
    expect(errors).toHaveLength(1);
    expect(errors[0]!.code).toBe("queue_overflow");
    await s.close();

    const r = await record(s.id);
    expect(r.transcript).toHaveLength(20);
    expect(r.toolCalls).toHaveLength(20);
    expect(r.metadata).toEqual({ kept: true });
    expect(r.logs.length).toBeGreaterThan(0);
    expect(r.logs.length).toBeLessThan(100);
    const dropped = (errors[0] as unknown as { dropped: { logs: number; other: number } }).dropped;
    expect(dropped.other).toBe(0);
    // The kept logs are the newest ones that fit before the queue filled (oldest evicted first).
    const kept = r.logs.map((l) => Number(l.message.split(" ")[1]));
    expect(kept).toEqual([...kept].sort((a, b) => a - b));
  });
});
