/** The inspector's pieces stay bounded whatever a call's times or length: axis ticks, the call page, streamed peaks. */
import { describe, expect, it } from "vitest";
import { renderCallPage, type CallView } from "../../worker/inspect/call-page.ts";
import { createAxis, MAX_TICKS, renderAxis } from "../../worker/inspect/timeline.ts";
import { buildWaterfall } from "../../worker/inspect/waterfall.ts";
import { computeWaveform, streamWaveform } from "../../worker/inspect/waveform.ts";
import type { SessionRecord } from "../../worker/session/record.ts";
import type { SessionStatus } from "../../worker/session/status.ts";
import { wavHeader } from "../support/wav-bytes.ts";

const ticksOf = (html: string) => html.match(/<span /g)?.length ?? 0;
const T0 = Date.UTC(2026, 10, 25, 12);

describe("a bounded inspector", () => {
  it("draws at most 12 axis ticks for any span of time, from a second to the year 9999", () => {
    for (const endMs of [
      T0 + 1000,
      T0 + 7_200_000,
      T0 + 4 * 3600_000,
      Date.parse("9999-12-31T23:59:59.999Z"),
      18_446_744_073_709,
      Number.MAX_VALUE,
    ]) {
      const html = renderAxis(createAxis(T0, endMs));
      expect(ticksOf(html)).toBeGreaterThan(0);
      expect(ticksOf(html)).toBeLessThanOrEqual(MAX_TICKS);
    }
    expect(renderAxis(createAxis(T0, T0 + 7_200_000))).toContain(">120m<");
    for (const [start, end] of [
      [Number.NaN, T0],
      [T0, Number.NaN],
      [T0, T0 - 5000],
      [-Infinity, Infinity],
    ] as const) {
      expect(ticksOf(renderAxis(createAxis(start, end)))).toBeLessThanOrEqual(MAX_TICKS);
    }
  });

  it("renders a call page whose transcript reaches the year 9999 and whose span ends at a 20-digit nanosecond time", () => {
    const status = {
      sessionId: "s-9999",
      agentId: 1,
      mode: "observe",
      state: "finalized",
      consent: "granted",
      deferUpload: false,
      counts: { events: 2 },
      forward: { status: "skipped", attempts: 0 },
    } as unknown as SessionStatus;
    const record = {
      sessionId: "s-9999",
      startedAt: new Date(T0).toISOString(),
      endedAt: "9999-12-31T23:59:59.999Z",
      durationSeconds: 2.5e11,
      endedReason: "done",
      traceId: null,
      transcript: [
        {
          role: "user",
          text: "now",
          startedAt: new Date(T0).toISOString(),
          endedAt: new Date(T0 + 1000).toISOString(),
        },
        {
          role: "assistant",
          text: "far later",
          startedAt: "9999-12-31T23:59:58.000Z",
          endedAt: "9999-12-31T23:59:59.999Z",
        },
      ],
      toolCalls: [],
      logs: [],
      turns: [
        { number: 1, startedAt: new Date(T0).toISOString(), endedAt: "9999-12-31T23:59:59.999Z", interrupted: true },
      ],
      metadata: {},
      consent: { deferUpload: false, grantedAt: null, audioDropped: null },
      audio: null,
      fragments: { received: 1, lastSeq: 0, missing: [] },
    } as unknown as SessionRecord;
    const spans = buildWaterfall([
      JSON.stringify({
        spanId: "a".repeat(16),
        name: "conversation",
        startTimeUnixNano: String(BigInt(T0) * 1_000_000n),
        endTimeUnixNano: "18446744073709551615",
      }),
      JSON.stringify({
        spanId: "b".repeat(16),
        parentSpanId: "a".repeat(16),
        name: "llm",
        startTimeUnixNano: String(BigInt(T0) * 1_000_000n),
        endTimeUnixNano: String(BigInt(T0 + 5) * 1_000_000n),
      }),
    ]);
    const view: CallView = { status, record, spans, waveform: undefined, audioUrl: undefined };
    const html = renderCallPage(view);
    expect(html).toContain("far later");
    expect(html).toContain('class="bar llm"');
    for (const axis of html.match(/<div class="axis">.*?<\/div>/g) ?? [])
      expect(ticksOf(axis)).toBeLessThanOrEqual(MAX_TICKS);
  });

  it("computes the same peaks from a stream cut at any byte as from the whole file in memory", async () => {
    const frames = 10_007;
    const bytes = new Uint8Array(44 + frames * 4);
    bytes.set(wavHeader(8000, frames * 4));
    const v = new DataView(bytes.buffer);
    let x = 7;
    for (let i = 44; i < bytes.byteLength; i += 2) {
      x = (x * 1103515245 + 12345) & 0x7fffffff;
      v.setInt16(i, (x % 65536) - 32768, true);
    }
    const whole = computeWaveform(bytes, 300)!;
    for (const piece of [1, 3, 7, 44, 45, 1000, 4093]) {
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          for (let at = 0; at < bytes.byteLength; at += piece) controller.enqueue(bytes.slice(at, at + piece));
          controller.close();
        },
      });
      expect(await streamWaveform(stream, bytes.byteLength, 300)).toEqual(whole);
    }
  });
});
