/**
 * SDK teardown is bounded: close() settles within closeTimeoutMs whatever the network does
 * (events, the audio tail, the close request itself), and close() followed by abort() has exactly
 * one outcome. A fault proxy between the SDK and the real local Worker holds requests back.
 */
import { afterEach, describe, expect, it } from "vitest";
import { type CekuraSession, SessionClosedError, TimeoutError } from "../../sdk/index.ts";
import { startFaultProxy, type FaultPolicy, type FaultProxy } from "../support/fault-proxy.ts";
import { collectingTracer, tone, useLocalWorker } from "../support/sdk-fixtures.ts";

const local = useLocalWorker();
let proxy: FaultProxy | undefined;
const apiKey = `teardown-${crypto.randomUUID()}`;
/** Longer than any test here: a request held this long never answers while the test looks. */
const NEVER = { kind: "delay", ms: 30_000 } as const;
const CLOSE_TIMEOUT_MS = 1_500;

afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
});

async function through(policy: FaultPolicy) {
  proxy = await startFaultProxy(local.url, policy);
  const { cekura, errors } = collectingTracer({
    apiKey,
    agentId: 91,
    ingestUrl: proxy.url,
    closeTimeoutMs: CLOSE_TIMEOUT_MS,
    // Longer than the close deadline: only close()'s own bound can end the wait.
    requestTimeoutMs: 60_000,
  });
  return { cekura, errors, proxy };
}

/** A tracked session with one transcript line, through a proxy that holds every request to `heldRoute` back. */
async function sessionHolding(name: string, heldRoute: string, text: string) {
  const id = sessionId(name);
  const { cekura, proxy } = await through((r) => (r.path.endsWith(heldRoute) ? NEVER : { kind: "forward" }));
  const session = cekura.track({ sessionId: id });
  session.transcript({ role: "user", text });
  return { id, proxy, session };
}

const sessionId = (name: string) => `teardown-${name}-${crypto.randomUUID()}`;
const sent = (p: FaultProxy, id: string, route: string) =>
  p.requests.filter((r) => r.path === `/v1/sessions/${id}${route}`).length;

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

/** close() rejects with TimeoutError while every request the proxy held back is still unanswered. */
async function expectCloseTimesOutWhileHeld(p: FaultProxy, session: CekuraSession): Promise<void> {
  const { heldUnanswered, held, outcome } = await settleWhileHeld(p, () => session.close());
  expect(outcome.status).toBe("rejected");
  expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(TimeoutError);
  expect(held).toBeGreaterThan(0);
  expect(heldUnanswered, "close() settled while the held requests were still unanswered").toBe(true);
}

describe("SDK teardown under a network that does not answer", () => {
  it("close() rejects with TimeoutError within closeTimeoutMs when the audio tail never uploads, and never sends close", async () => {
    const id = sessionId("audio-tail");
    const { cekura, proxy } = await through((r) => (r.method === "PUT" ? NEVER : { kind: "forward" }));
    const session = cekura.observe({ sessionId: id });
    session.transcript({ role: "user", text: "hello" });
    session.audio("user", tone(16_000), 16_000);
    session.audio("assistant", tone(16_000), 16_000);
    await expectCloseTimesOutWhileHeld(proxy, session);
    expect(sent(proxy, id, "/close")).toBe(0);
  });

  it.for([
    { what: "fragments never get an answer", held: "/fragments", closeRequests: 0 },
    { what: "the close request itself never gets an answer", held: "/close", closeRequests: 1 },
  ])("close() rejects within closeTimeoutMs when $what", async ({ held, closeRequests }) => {
    const { id, proxy, session } = await sessionHolding(held.slice(1), held, "hello");
    await expectCloseTimesOutWhileHeld(proxy, session);
    expect(sent(proxy, id, "/close")).toBe(closeRequests);
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
    const { id, proxy, session } = await sessionHolding("close-timed-out", "/close", "kept");
    await expect(session.close()).rejects.toBeInstanceOf(TimeoutError);
    await expect(session.abort()).rejects.toBeInstanceOf(SessionClosedError);
    expect(sent(proxy, id, "/close")).toBe(1);
    expect(sent(proxy, id, "/abort")).toBe(0);
  });
});
