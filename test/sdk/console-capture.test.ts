/** captureConsole: console output is recorded while exactly one session is active, and restored after. */
import { describe, expect, it } from "vitest";
import { CekuraTracer } from "../../sdk/index.ts";
import { consoleCaptured } from "../../sdk/internal/console-capture.ts";
import { useLocalWorker } from "../support/sdk-fixtures.ts";

const local = useLocalWorker();
const apiKey = `console-${crypto.randomUUID()}`;

async function logsOf(id: string): Promise<string[]> {
  const record = await local.record<{ logs: { level: string; message: string }[] }>(apiKey, id);
  return record.logs.map((l) => `${l.level}:${l.message}`);
}

describe("captureConsole", () => {
  it("records console.* only while exactly one session is active, then restores console", async () => {
    const originalLog = console.log;
    const originalError = console.error;
    const cekura = new CekuraTracer({
      apiKey,
      agentId: 5,
      ingestUrl: local.url,
      captureConsole: true,
      onError: () => undefined,
    });
    const a = cekura.observe({ sessionId: `console-a-${crypto.randomUUID()}` });
    expect(consoleCaptured()).toBe(true);
    console.log("only a is active", { n: 1 });
    console.error(new Error("boom"));
    const b = cekura.observe({ sessionId: `console-b-${crypto.randomUUID()}` });
    expect(consoleCaptured()).toBe(false);
    console.log("two sessions: attributed to nobody");
    await b.close();
    expect(consoleCaptured()).toBe(true);
    console.warn("a alone again");
    await a.close();
    expect(consoleCaptured()).toBe(false);
    expect(console.log).toBe(originalLog);
    expect(console.error).toBe(originalError);
    console.log("after close: not recorded");

    const aLogs = await logsOf(a.id);
    expect(aLogs[0]).toBe('info:only a is active {"n":1}');
    expect(aLogs[1]).toMatch(/^error:Error: boom/);
    expect(aLogs[2]).toBe("warn:a alone again");
    expect(aLogs).toHaveLength(3);
    expect(await logsOf(b.id)).toEqual([]);
  });

  it("is off by default", async () => {
    const cekura = new CekuraTracer({ apiKey, agentId: 5, ingestUrl: local.url });
    const s = cekura.observe({ sessionId: `console-off-${crypto.randomUUID()}` });
    expect(consoleCaptured()).toBe(false);
    console.log("not captured");
    await s.close();
    expect(await logsOf(s.id)).toEqual([]);
  });
});
