/**
 * SDK teardown is bounded: close() settles within closeTimeoutMs whatever the network does
 * (events, the audio tail, the close request itself), and close() followed by abort() has exactly
 * one outcome. A fault proxy between the SDK and the real local Worker holds requests back.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { CekuraTracer, SessionClosedError, TimeoutError, type SdkError } from "../../sdk/index.ts";
import { startLocalWorker, type LocalWorker } from "../../worker/local/local-worker.ts";
import { startFaultProxy, type FaultPolicy, type FaultProxy } from "../support/fault-proxy.ts";

let worker: LocalWorker;
let proxy: FaultProxy | undefined;
const apiKey = `teardown-${crypto.randomUUID()}`;
/** Longer than any test here: a request held this long never answers while the test looks. */
const NEVER = { kind: "delay", ms: 30_000 } as const;
const CLOSE_TIMEOUT_MS = 1_500;

beforeAll(async () => {
  worker = await startLocalWorker();
}, 120_000);
afterAll(async () => worker?.stop());
afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
});

async function through(policy: FaultPolicy) {
  proxy = await startFaultProxy(worker.url, policy);
  const errors: SdkError[] = [];
  const cekura = new CekuraTracer({
    apiKey,
    agentId: 91,
    ingestUrl: proxy.url,
    onError: (e) => errors.push(e),
    closeTimeoutMs: CLOSE_TIMEOUT_MS,
    // Longer than the close deadline: only close()'s own bound can end the wait.
    requestTimeoutMs: 60_000,
    enableOtelTraces: false,
  });
  return { cekura, errors, proxy };
}

const sessionId = (name: string) => `teardown-${name}-${crypto.randomUUID()}`;
const sent = (p: FaultProxy, id: string, route: string) =>
  p.requests.filter((r) => r.path === `/v1/sessions/${id}${route}`).length;
const tone = (n: number) => Int16Array.from({ length: n }, (_, i) => Math.round(8000 * Math.sin(i / 8)));

/**
 * Settles `work` and says whether every request the proxy held back (`NEVER`) was still unanswered then:
 * close() ended on its own deadline, not because the network finally answered (no clock is compared).
 */
async function settleWhileHeld<T>(
  p: FaultProxy,
  work: () => Promise<T>,
): Promise<{ heldUnanswered: boolean; held: number; outcome: PromiseSettledResult<T> }> {
  const [outcome] = await Promise.allSettled([work()]);
  const held = p.requests.filter((r) => r.action === "delay");
  return { heldUnanswered: held.every((r) => r.answeredAt === undefined), held: held.length, outcome: outcome! };
}

describe("SDK teardown under a network that does not answer", () => {
  it("close() rejects with TimeoutError within closeTimeoutMs when the audio tail never uploads, and never sends close", async () => {
    const id = sessionId("audio-tail");
    const { cekura, proxy } = await through((r) => (r.method === "PUT" ? NEVER : { kind: "forward" }));
    const session = cekura.observe({ sessionId: id });
    session.transcript({ role: "user", text: "hello" });
    session.audio("user", tone(16_000), 16_000);
    session.audio("assistant", tone(16_000), 16_000);
    const { heldUnanswered, held, outcome } = await settleWhileHeld(proxy, () => session.close());
    expect(outcome.status).toBe("rejected");
    expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(TimeoutError);
    expect(held).toBeGreaterThan(0);
    expect(heldUnanswered, "close() settled while the held requests were still unanswered").toBe(true);
    expect(sent(proxy, id, "/close")).toBe(0);
  });

  it("close() rejects within closeTimeoutMs when fragments never get an answer", async () => {
    const id = sessionId("fragments");
    const { cekura, proxy } = await through((r) => (r.path.endsWith("/fragments") ? NEVER : { kind: "forward" }));
    const session = cekura.track({ sessionId: id });
    session.transcript({ role: "user", text: "hello" });
    const { heldUnanswered, held, outcome } = await settleWhileHeld(proxy, () => session.close());
    expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(TimeoutError);
    expect(held).toBeGreaterThan(0);
    expect(heldUnanswered, "close() settled while the held requests were still unanswered").toBe(true);
    expect(sent(proxy, id, "/close")).toBe(0);
  });

  it("close() rejects within closeTimeoutMs when the close request itself never gets an answer", async () => {
    const id = sessionId("close-hangs");
    const { cekura, proxy } = await through((r) => (r.path.endsWith("/close") ? NEVER : { kind: "forward" }));
    const session = cekura.track({ sessionId: id });
    session.transcript({ role: "user", text: "hello" });
    const { heldUnanswered, held, outcome } = await settleWhileHeld(proxy, () => session.close());
    expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(TimeoutError);
    expect(held).toBeGreaterThan(0);
    expect(heldUnanswered, "close() settled while the held requests were still unanswered").toBe(true);
    expect(sent(proxy, id, "/close")).toBe(1);
  });
});

describe("close() followed by abort(): exactly one outcome, never both requests", () => {
  it("abort() wins while close has not been sent: close() rejects, only the abort reaches the Worker", async () => {
    const id = sessionId("abort-wins");
    // Fragments are slow, so close() is still flushing when abort() comes.
    const { cekura, proxy } = await through((r) =>
      r.path.endsWith("/fragments") ? { kind: "delay", ms: 500 } : { kind: "forward" },
    );
    const session = cekura.track({ sessionId: id });
    session.transcript({ role: "user", text: "to be deleted" });
    const closing = session.close().then(
      () => undefined,
      (error: unknown) => error,
    );
    const status = await session.abort();
    const closeError = await closing;
    expect(closeError).toBeInstanceOf(SessionClosedError);
    expect(String(closeError)).toMatch(/aborted before its close request was sent/);
    expect(status.state).toBe("aborted");
    // Past the slow fragment's answer: a close would have gone out by now.
    await new Promise((r) => setTimeout(r, 1_000));
    expect(sent(proxy, id, "/close")).toBe(0);
    expect(sent(proxy, id, "/abort")).toBe(1);
  });

  it("abort() after close was sent rejects with a clear error and sends nothing", async () => {
    const id = sessionId("close-wins");
    const { cekura, proxy } = await through(() => ({ kind: "forward" }));
    const session = cekura.track({ sessionId: id });
    session.transcript({ role: "user", text: "kept" });
    const status = await session.close();
    expect(status.state).toBe("finalized");
    await expect(session.abort()).rejects.toThrow(
      /already closed \(the close request was sent\); abort\(\) can no longer delete it/,
    );
    expect(sent(proxy, id, "/close")).toBe(1);
    expect(sent(proxy, id, "/abort")).toBe(0);
  });

  it("abort() after a close that was sent but timed out is refused too: the Worker may have closed the session", async () => {
    const id = sessionId("close-timed-out");
    const { cekura, proxy } = await through((r) => (r.path.endsWith("/close") ? NEVER : { kind: "forward" }));
    const session = cekura.track({ sessionId: id });
    session.transcript({ role: "user", text: "kept" });
    await expect(session.close()).rejects.toBeInstanceOf(TimeoutError);
    await expect(session.abort()).rejects.toBeInstanceOf(SessionClosedError);
    expect(sent(proxy, id, "/close")).toBe(1);
    expect(sent(proxy, id, "/abort")).toBe(0);
  });
});
