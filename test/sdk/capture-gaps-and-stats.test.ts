/**
 * No silent capture gaps: close() warns through onError when a session recorded no transcript, or
 * audio on one channel only; session.stats() counts what was recorded, sent and dropped.
 */
import { describe, expect, it } from "vitest";
import type { SdkError } from "../../sdk/index.ts";
import { collectingTracer, tone, useLocalWorker } from "../support/sdk-fixtures.ts";

const local = useLocalWorker();
const apiKey = `gaps-${crypto.randomUUID()}`;

const tracer = (extra: Record<string, unknown> = {}) =>
  collectingTracer({ apiKey, agentId: 92, ingestUrl: local.url, ...extra });
const sessionId = (name: string) => `gaps-${name}-${crypto.randomUUID()}`;
const gaps = (errors: SdkError[]) => errors.filter((e) => e.code === "capture_gap").map((e) => e.message);

describe("capture gaps at close", () => {
  it("warns through onError when a session recorded no transcript and audio on the user channel only", async () => {
    const { cekura, errors } = tracer();
    const session = cekura.observe({ sessionId: sessionId("one-channel") });
    session.audio("user", tone(8_000), 16_000);
    await session.close();
    const warnings = gaps(errors);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/recorded no transcript at all/);
    expect(warnings[1]).toMatch(/recorded audio on the user channel only: no assistant audio/);
  });

  it("says nothing when the session has a transcript and audio on both channels", async () => {
    const { cekura, errors } = tracer();
    const session = cekura.observe({ sessionId: sessionId("complete") });
    session.transcript({ role: "user", text: "hello" });
    session.audio("user", tone(8_000), 16_000);
    session.audio("assistant", tone(8_000), 16_000);
    await session.close();
    expect(gaps(errors)).toEqual([]);
  });
});

describe("session.stats()", () => {
  it("counts what was recorded and what the Worker acknowledged", async () => {
    const { cekura } = tracer();
    const session = cekura.observe({ sessionId: sessionId("stats") });
    session.transcript({ role: "user", text: "hello" });
    session.transcript({ role: "assistant", text: "hi" });
    session.toolCall({ id: "t1", name: "lookup", arguments: { q: 1 } });
    session.toolResult({ id: "t1", result: { a: 2 } });
    session.log("info", "a line");
    session.setCustomMetadata({ plan: "pro" });
    session.audio("user", tone(16_000), 16_000);
    session.audio("assistant", tone(8_000), 16_000);
    expect(session.stats().sent.events).toBe(0);
    await session.close();
    const stats = session.stats();
    expect(stats.recorded).toEqual({
      transcripts: 2,
      toolCalls: 1,
      toolResults: 1,
      logs: 1,
      metadataPatches: 1,
      audioSamples: { user: 16_000, assistant: 8_000 },
    });
    // The six recorded events, plus the "audio placement" log close adds (how each channel was placed).
    expect(stats.sent.events).toBe(7);
    expect(stats.sent.fragments).toBeGreaterThanOrEqual(1);
    expect(stats.sent.audioChunks).toBeGreaterThanOrEqual(1);
    expect(stats.sent.audioBytes).toBeGreaterThan(0);
    expect(stats.dropped).toEqual({
      events: 0,
      audioSamples: 0,
      ignoredAudioSamples: 0,
      invalidCalls: 0,
      afterClose: 0,
      truncatedTexts: 0,
    });
    expect(stats.queuedBytes).toBe(0);
  });

  it("counts events dropped on queue overflow and samples ignored on a track session", async () => {
    const { cekura } = tracer({ maxQueueBytes: 1024, flushIntervalMs: 60_000 });
    const session = cekura.track({ sessionId: sessionId("dropped") });
    session.transcript({ role: "user", text: "x".repeat(700) });
    session.transcript({ role: "assistant", text: "y".repeat(700) });
    session.audio("user", tone(1_000), 16_000);
    const stats = session.stats();
    expect(stats.recorded.transcripts).toBe(2);
    expect(stats.dropped.events).toBe(1);
    expect(stats.dropped.ignoredAudioSamples).toBe(1_000);
    await session.close();
    expect(session.stats().sent.events).toBe(1);
  });
});
