/**
 * observeTwilioStream in Deno and Bun: each runs a Media Streams server (twilio-runtime-server.ts)
 * with the adapter; Twilio's side (Node `ws`) plays a short call against it; the recording lands in
 * the real local Worker with the caller left and the agent's greeting right, at their times.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { freePort } from "../../worker/local/ports.ts";
import { REPO_ROOT } from "../../worker/local/local-worker.ts";
import { readStoredObject } from "../support/r2-read.ts";
import { deinterleave, onset } from "../audio/signal.ts";
import { parseWavStrict } from "../audio/wav-check.ts";
import { API_KEY, useHarness } from "./support.ts";
import { RATE, utterance } from "./twilio-codec.ts";
import { TwilioSide } from "./twilio-support.ts";

const h = useHarness();

interface Server {
  url: string;
  output(): string;
  errors(): string[];
  warnings(): string[];
  stop(): Promise<void>;
}

async function startServer(runtime: "deno" | "bun"): Promise<Server> {
  const port = await freePort();
  const config = JSON.stringify({ port, ingestUrl: h.worker.url, apiKey: API_KEY });
  const script = "test/adapters/twilio-runtime-server.ts";
  const bin = join(REPO_ROOT, "node_modules/.bin", runtime);
  const args = runtime === "deno" ? ["run", "--allow-net=127.0.0.1", "--allow-read", script, config] : [script, config];
  const child: ChildProcess = spawn(bin, args, {
    cwd: REPO_ROOT,
    env: { ...process.env, DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  const deadline = Date.now() + 60_000;
  while (!output.includes("@@READY")) {
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`${runtime} server did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `ws://127.0.0.1:${port}`,
    output: () => output,
    errors: () => output.split("\n").filter((l) => l.startsWith("@@ERROR")),
    warnings: () => output.split("\n").filter((l) => l.startsWith("@@WARN")),
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    },
  };
}

describe.each(["deno", "bun"] as const)("observeTwilioStream in %s", (runtime) => {
  it(`records a Media Streams call on a ${runtime} server: caller left, the agent's greeting right, markers within 20 ms`, async () => {
    const server = await startServer(runtime);
    try {
      const callSid = `CA${crypto.randomUUID().replaceAll("-", "")}`;
      const twilio = await TwilioSide.connect(server.url);
      twilio.start({ callSid, customParameters: { from: "+15550333" } });
      const caller = new Int16Array(2 * RATE);
      caller.set(utterance(0.5, [0.2], 1000, 1500), 1.2 * RATE); // caller marker at 1.4 s
      await twilio.playCaller(caller);
      twilio.stop(callSid);
      await twilio.close();

      const record = await h.finalRecord(callSid);
      expect(server.errors()).toEqual([]);
      expect(server.warnings()).toEqual([expect.stringContaining("recorded no transcript at all")]);
      expect(record.endedReason).toBe("customer-ended-call");
      expect(record.metadata).toMatchObject({ customer_number: "+15550333" });

      const played = twilio.playedAudio(2000);
      const greetingMarker = onset(played, 10_000) / RATE;
      expect(greetingMarker).toBeGreaterThan(0.3);
      const wav = parseWavStrict((await readStoredObject(h.worker.persistTo, record.audio!.key!))!);
      const { left, right } = deinterleave(wav.data);
      const rate = wav.sampleRate;
      for (const [marker, on, off] of [
        [1.4, left, right],
        [greetingMarker, right, left],
      ] as const) {
        const from = Math.round((marker - 0.2) * rate),
          to = Math.round((marker + 0.2) * rate);
        const found = onset(on, 10_000, from, to);
        expect(found, `marker at ${marker} s`).toBeGreaterThanOrEqual(0);
        expect(Math.abs(found / rate - marker) * 1000, `marker at ${marker} s is off by (ms)`).toBeLessThanOrEqual(20);
        expect(onset(off, 10_000, from, to), `marker at ${marker} s leaked onto the other channel`).toBe(-1);
      }
    } finally {
      await server.stop();
    }
  }, 120_000);
});
