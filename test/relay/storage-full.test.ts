/**
 * Recording must never disturb a relayed call. The Worker keeps its local state (Durable Object SQLite,
 * R2) on a small tmpfs, and the test fills that disk in the middle of the call: from then on the session's
 * Durable Object cannot store anything. The relay must go on regardless: every frame through unchanged, in
 * order, both ways, the close passed through; the failure is logged as a recording error. Linux only (a
 * tmpfs mount needs root, as the CI machine runs); elsewhere the test is skipped, saying why.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, openSync, closeSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import WebSocket from "ws";
import { markerSignal } from "../audio/paced-source.ts";
import type { ScriptedResponse } from "../support/fake-realtime.ts";
import { uniqueId } from "../support/ids.ts";
import { OPENAI_KEY, paced, sleep, startRelayHarness, type RelayHarness } from "./support.ts";

const RATE = 24_000;
const pcm16 = (seconds: number) => new Uint8Array(markerSignal(RATE, seconds, [0.1], 2500).buffer);
const SCRIPT: ScriptedResponse[] = [
  { userTranscript: "Hello?", audio: pcm16(1.0), transcript: "Hi, how can I help?", chunkBytes: 4800 },
];

function mountTmpfs(): string | undefined {
  if (process.platform !== "linux") return undefined;
  const dir = mkdtempSync(join(tmpdir(), "relay-full-"));
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=48m", "tmpfs", dir], { stdio: "pipe" });
    return dir;
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
}

/** Writes zeros until the disk is full (ENOSPC); returns the filler's path. */
function fillDisk(dir: string): string {
  const path = join(dir, "filler");
  const fd = openSync(path, "w");
  const block = Buffer.alloc(1 << 20);
  try {
    for (;;) writeSync(fd, block);
  } catch (error) {
    if ((error as { code?: string }).code !== "ENOSPC") throw error;
    // The last partial block: fill the disk to the byte.
    for (let size = block.length >> 1; size >= 512; size >>= 1) {
      try {
        for (;;) writeSync(fd, block.subarray(0, size));
      } catch {}
    }
  } finally {
    closeSync(fd);
  }
  return path;
}

const disk = mountTmpfs();
let r: RelayHarness;
beforeAll(async () => {
  if (disk) r = await startRelayHarness({ script: SCRIPT }, {}, join(disk, "state"));
});
afterAll(async () => {
  await r?.stop();
  if (disk) {
    execFileSync("umount", ["-l", disk]);
    rmSync(disk, { recursive: true, force: true });
  }
});

it.skipIf(!disk)(
  "relays every frame unchanged and passes the close through when the session's storage is full mid-call",
  async () => {
    const sessionId = uniqueId("relay-disk-full");
    const ws = new WebSocket(`${r.relayUrl}?model=gpt-realtime`, {
      headers: { Authorization: `Bearer ${OPENAI_KEY}`, ...r.cekuraHeaders(sessionId) },
    });
    const sent: string[] = [];
    const got: string[] = [];
    const send = (data: string) => {
      sent.push(data);
      ws.send(data);
    };
    ws.on("message", (data) => got.push(data.toString()));
    await new Promise((resolve, reject) => (ws.once("open", resolve), ws.once("error", reject)));
    const speak = async (seconds: number) => {
      const audio = pcm16(seconds);
      const frames = [];
      for (let i = 0; i < audio.length; i += 960) {
        const chunk = Buffer.from(audio.subarray(i, i + 960)).toString("base64");
        frames.push(() => send(JSON.stringify({ type: "input_audio_buffer.append", audio: chunk })));
      }
      await paced(frames, 20);
    };

    // The session exists and holds the call's start before the disk fills.
    await speak(0.5);
    for (let i = 0; i < 100 && (await r.status(sessionId)).status !== 200; i++) await sleep(100);
    expect((await r.status(sessionId)).status).toBe(200);
    const filler = fillDisk(disk!);
    try {
      await speak(1.0);
      send(JSON.stringify({ type: "input_audio_buffer.commit" }));
      for (let i = 0; i < 200 && !got.some((t) => t.includes('"response.done"')); i++) await sleep(20);
      expect(
        got.some((t) => t.includes('"response.done"')),
        "the reply reached the client",
      ).toBe(true);
      await sleep(1500); // the SDK's flushes (and their failures) happen while the call goes on
      const closed = new Promise<{ code: number; reason: string }>((resolve) =>
        ws.once("close", (code, reason) => resolve({ code, reason: reason.toString() })),
      );
      ws.close(4000, "bye");
      expect(await closed).toEqual({ code: 4000, reason: "bye" });

      const conn = r.fake.connections.at(-1)!;
      for (let i = 0; i < 100 && !conn.closed; i++) await sleep(20);
      expect(conn.received.map((f) => ("text" in f ? f.text : "<binary>"))).toEqual(sent);
      expect(got).toEqual(conn.sent.map((f) => ("text" in f ? f.text : "<binary>")));
      expect(conn.closed).toEqual({ code: 4000, reason: "bye" });
      // The recording failed, and said so without content.
      for (let i = 0; i < 100 && !r.h.worker.output().includes("relay recording error"); i++) await sleep(100);
      expect(r.h.worker.output()).toMatch(/relay recording error \(delivery\)/);
      expect(r.h.worker.output()).not.toContain(OPENAI_KEY);
    } finally {
      rmSync(filler, { force: true });
    }
    // The Worker is fine once the disk has room again.
    expect((await fetch(`${r.h.worker.url}/healthz`)).status).toBe(200);
  },
  90_000,
);
