/**
 * The flusher arms one timer per batch, not one per event: once a batch is full, further events
 * wait for the send that is already scheduled (re-arming a timer per event made each recording call
 * cost a timer, about 1 us on Deno).
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { DEFAULT_QUEUE, EventQueue } from "../../sdk/queue.ts";
import { createTransport } from "../../sdk/transport.ts";

afterEach(() => vi.restoreAllMocks());

describe("the flusher's timers", () => {
  it("arms at most two timers while 1000 events are recorded past a full batch in one go", async () => {
    const bodies: number[] = [];
    const transport = createTransport({
      ingestUrl: "http://127.0.0.1:9",
      apiKey: "timers",
      fetch: async (_url, init) => {
        bodies.push(JSON.parse(new TextDecoder().decode(init?.body as Uint8Array)).events.length);
        return new Response('{"ackedThrough":0,"missing":[],"state":"open"}', {
          headers: { "content-type": "application/json" },
        });
      },
    });
    const queue = new EventQueue(
      { ...DEFAULT_QUEUE, maxBatchEvents: 10, compression: false },
      { agentId: 1, mode: "track" },
      "/v1/sessions/t/fragments",
      transport,
      () => undefined,
    );
    const setTimeoutSpy = vi.spyOn(globalThis, "setTimeout");
    for (let i = 0; i < 1000; i++)
      queue.push({ kind: "log", level: "info", message: `line ${i}`, time: "2026-11-26T00:00:00.000Z" }, 80);
    // One timer for the flush interval, then one for the full batch; none per event after that.
    expect(setTimeoutSpy.mock.calls.length).toBeLessThanOrEqual(2);
    setTimeoutSpy.mockRestore();
    await queue.flush();
    expect(bodies.reduce((a, b) => a + b, 0)).toBe(1000);
    expect(Math.max(...bodies)).toBe(10);
  });
});
