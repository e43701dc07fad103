/** The inspector's pure pieces: Range parsing, WAV waveform, waterfall tree, escaping, start options. */
import { describe, expect, it } from "vitest";
import { parseRange } from "../../worker/inspect/audio-response.ts";
import { esc } from "../../worker/inspect/html.ts";
import { buildWaterfall } from "../../worker/inspect/waterfall.ts";
import { computeWaveform, parseWav } from "../../worker/inspect/waveform.ts";
import { parseStartOptions } from "../../worker/local/start-options.ts";
import { stereoWav as wav } from "../support/wav-bytes.ts";

describe("inspector pieces", () => {
  it("parses byte ranges and refuses unsatisfiable ones", () => {
    expect(parseRange(undefined, 100)).toBeNull();
    expect(parseRange("bytes=0-9", 100)).toEqual({ start: 0, end: 9 });
    expect(parseRange("bytes=90-", 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange("bytes=-10", 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange("bytes=50-500", 100)).toEqual({ start: 50, end: 99 });
    expect(parseRange("bytes=100-", 100)).toBe("invalid");
    expect(parseRange("bytes=5-2", 100)).toBe("invalid");
    expect(parseRange("items=0-1", 100)).toBe("invalid");
  });

  it("computes min/max per bucket for each channel of a stereo WAV", () => {
    const left = [0, 16384, -16384, 0, 0, 0, 0, 0];
    const right = [0, 0, 0, 0, 32767, -32768, 0, 0];
    const bytes = wav(left, right);
    expect(parseWav(bytes)).toMatchObject({ channels: 2, sampleRate: 8000, dataOffset: 44, dataBytes: 32 });
    const w = computeWaveform(bytes, 2)!;
    expect(w.durationSeconds).toBeCloseTo(8 / 8000);
    expect(w.channels[0]).toEqual([
      [-0.5, 16384 / 32767],
      [0, 0],
    ]);
    expect(w.channels[1]).toEqual([
      [0, 0],
      [-1, 1],
    ]);
    expect(computeWaveform(new Uint8Array(10), 2)).toBeUndefined();
  });

  it("orders spans as a tree and reads TTFB", () => {
    const span = (id: string, parent: string, name: string, start: number, end: number, attrs: object[] = []) =>
      JSON.stringify({
        spanId: id,
        parentSpanId: parent,
        name,
        startTimeUnixNano: String(start * 1e6),
        endTimeUnixNano: String(end * 1e6),
        attributes: attrs,
      });
    const spans = buildWaterfall([
      span("c", "", "conversation", 0, 100),
      span("t2", "c", "turn", 50, 90),
      span("t1", "c", "turn", 10, 40),
      span("s1", "t1", "llm", 12, 30, [{ key: "metrics.ttfb", value: { doubleValue: 0.004 } }]),
      "not json",
    ]);
    expect(spans.map((s) => [s.spanId, s.depth])).toEqual([
      ["c", 0],
      ["t1", 1],
      ["s1", 2],
      ["t2", 1],
    ]);
    expect(spans[2]!.ttfbSeconds).toBe(0.004);
  });

  it("escapes markup and quotes", () => {
    expect(esc(`<img src=x onerror="a('b')">&`)).toBe("&lt;img src=x onerror=&quot;a(&#39;b&#39;)&quot;&gt;&amp;");
  });

  it("reads start options from flags and the environment", () => {
    expect(parseStartOptions([], {})).toMatchObject({
      workerOnly: false,
      demoCount: 1,
      fast: false,
      port: 8787,
      apiKey: "local-demo-key",
    });
    expect(parseStartOptions(["--demo", "5", "--fast", "--port=0"], {})).toMatchObject({
      demoCount: 5,
      fast: true,
      port: 0,
    });
    expect(parseStartOptions([], { CEKURA_WORKER_ONLY: "1", CEKURA_DEMO: "3" })).toMatchObject({
      workerOnly: true,
      demoCount: 3,
    });
    expect(() => parseStartOptions(["--demo", "zero"], {})).toThrow(/--demo must be an integer/);
    expect(() => parseStartOptions(["--bogus"], {})).toThrow(/unknown option --bogus/);
  });
});
