/**
 * Recording calls never throw into the agent (issue 30): whatever they are given, before or after close()
 * and abort(), and on a disabled tracer. Bad input is reported through onError and counted in stats().
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CekuraTracer, type CekuraSession, type SdkError } from "../../sdk/index.ts";

const okFetch = async () => Response.json({ ackedThrough: 0, missing: [], state: "open" });

function tracer(errors: SdkError[], enabled = true) {
  return new CekuraTracer({
    apiKey: "k",
    agentId: 1,
    ingestUrl: "http://127.0.0.1:9",
    env: {},
    enabled,
    enableOtelTraces: false,
    onError: (e) => errors.push(e),
    fetch: okFetch,
  });
}

const anyValue = fc.oneof(
  fc.anything(),
  fc.string({ maxLength: 50 }),
  fc.constant("x".repeat(70_000)),
  fc.constantFrom("user", "assistant", "system", "warning", "critical", "exception", "WARN", "nope"),
  fc.record({ role: fc.constantFrom("user", "assistant", "bot"), text: fc.anything() }),
  fc.record({ id: fc.anything(), name: fc.anything(), arguments: fc.anything(), result: fc.anything() }),
  fc.constant(Number.NaN),
  fc.constant(new Int16Array(3)),
  fc.constant(new Uint8Array(3)),
  fc.constant(Object.create(null)),
  fc.constant(
    new Proxy(
      {},
      {
        get() {
          throw new Error("hostile getter");
        },
        ownKeys() {
          throw new Error("hostile keys");
        },
      },
    ),
  ),
);

const CALLS = [
  "transcript",
  "toolCall",
  "toolResult",
  "log",
  "setCustomMetadata",
  "audio",
  "interruptAudio",
  "startTurn",
] as const;
const call = fc.record({ name: fc.constantFrom(...CALLS), args: fc.array(anyValue, { maxLength: 4 }) });
const loggerCall = fc.record({
  name: fc.constantFrom("debug", "info", "warn", "error", "warning", "critical", "exception"),
  args: fc.array(anyValue, { maxLength: 2 }),
});

function play(s: CekuraSession, calls: { name: string; args: unknown[] }[], logs: { name: string; args: unknown[] }[]) {
  for (const c of calls) (s as unknown as Record<string, (...a: unknown[]) => unknown>)[c.name]!(...c.args);
  for (const c of logs) (s.logger as unknown as Record<string, (...a: unknown[]) => unknown>)[c.name]!(...c.args);
  s.stats();
  s.getCustomMetadata();
}

describe("recording calls never throw", () => {
  it("on random input, while open, after close() and after abort()", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(call, { maxLength: 12 }),
        fc.array(loggerCall, { maxLength: 4 }),
        fc.constantFrom("close", "abort"),
        async (calls, logs, end) => {
          const errors: SdkError[] = [];
          const s = tracer(errors).observe();
          play(s, calls, logs);
          if (end === "close") await s.close().catch(() => undefined);
          else await s.abort().catch(() => undefined);
          play(s, calls, logs);
          const dropped = s.stats().dropped;
          // Every report is an error object, and none is counted twice.
          for (const e of errors) expect(e).toBeInstanceOf(Error);
          expect(dropped.invalidCalls).toBeLessThanOrEqual(errors.length);
        },
      ),
      { numRuns: 150 },
    );
  });

  it("on a disabled tracer, a bad session id and bad options included", async () => {
    await fc.assert(
      fc.asyncProperty(anyValue, fc.array(call, { maxLength: 8 }), async (options, calls) => {
        const t = tracer([], false);
        for (const start of [() => t.observe(options as never), () => t.track(options as never)]) {
          const s = start();
          play(s, calls, []);
          await s.close();
          play(s, calls, []);
        }
      }),
      { numRuns: 150 },
    );
    expect(() => tracer([], false).observe({ sessionId: "" })).not.toThrow();
    expect(() => tracer([], false).observe({ sessionId: "x".repeat(500) })).not.toThrow();
  });

  it("reports a bad call once with its error, counts it, and records the good calls around it", async () => {
    const errors: SdkError[] = [];
    const s = tracer(errors).observe();
    s.transcript({ role: "bot" as never, text: "hi" });
    s.transcript({ role: "user", text: "hi" });
    s.log("warning", "python's name");
    s.log("CRITICAL" as never, "upper case");
    s.logger.exception("an exception");
    s.log("loud" as never, "bad level");
    s.transcript({ role: "assistant", text: "y".repeat(70_000) });
    expect(errors.map((e) => e.code)).toEqual(["invalid_input", "invalid_input", "invalid_input"]);
    expect(errors[0]!.message).toMatch(/transcript role/);
    expect(errors[1]!.message).toMatch(/log level/);
    expect(errors[2]!.message).toMatch(/recorded cut to 65536/);
    expect(s.stats().recorded).toMatchObject({ transcripts: 2, logs: 3 });
    expect(s.stats().dropped).toMatchObject({ invalidCalls: 2, truncatedTexts: 1, afterClose: 0 });
    await s.close();
    s.transcript({ role: "user", text: "late" });
    s.toolCall({ id: "a", name: "late" });
    expect(s.stats().dropped.afterClose).toBe(2);
    expect(errors.filter((e) => e.code === "session_closed")).toHaveLength(1);
  });
});
