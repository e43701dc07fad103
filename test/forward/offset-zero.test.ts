import { describe, expect, it } from "vitest";
import { buildObservePayload } from "../../worker/forward/observe-payload.ts";
import { buildRecord } from "../../worker/session/record.ts";
import type { SessionMeta } from "../../worker/session/meta.ts";

// The WAV's first sample is at observe() (the SDK's callStartedAt): transcript offsets must count from it too.
const T0 = Date.UTC(2026, 10, 25, 12, 0, 0);
const iso = (ms: number) => new Date(T0 + ms).toISOString();

const meta = {
  sessionId: "offset-zero",
  tenant: "t",
  agentId: 9,
  mode: "observe",
  deferUpload: false,
  state: "closing",
  consent: "granted",
  createdAt: T0 + 5_100,
  callStartedAt: T0 + 5_000,
  lastActivityAt: T0 + 9_000,
  ackedThrough: 0,
  maxSeq: 0,
  fragmentCount: 1,
  eventCount: 2,
  close: { requestedAt: T0 + 9_000, lastSeq: 0, lastAudioSeq: -1, reason: "agent-ended-call", deadline: T0 + 9_000 },
  forward: { status: "pending", attempts: 0 },
} as unknown as SessionMeta;

describe("transcript offsets and the recording share one zero", () => {
  it("counts start_time from observe() even when an event is stamped before it", () => {
    const record = buildRecord({
      meta,
      fragments: [
        {
          seq: 0,
          events: [
            // Stamped 4 s before observe(): e.g. a greeting timed by the agent's own clock.
            { kind: "transcript", role: "assistant", text: "Hello", startedAt: iso(1_000), endedAt: iso(6_000) },
            { kind: "transcript", role: "user", text: "Hi", startedAt: iso(7_000), endedAt: iso(8_500) },
          ],
        },
      ] as never,
      finalizedAt: T0 + 10_000,
      endedReason: "agent-ended-call",
      lastSeq: 0,
      missing: [],
    });
    expect(record.startedAt).toBe(iso(5_000));
    expect(record.durationSeconds).toBe(4);
    const entries = buildObservePayload(record, { spansForwarded: false }).transcript_json as {
      content?: string;
      start_time?: number;
      end_time?: number;
      timestamp?: string;
    }[];
    const hi = entries.find((e) => e.content === "Hi")!;
    // 7 s after T0 is 2 s into the WAV.
    expect(hi).toMatchObject({ start_time: 2, end_time: 3.5, timestamp: iso(7_000) });
    const hello = entries.find((e) => e.content === "Hello")!;
    // Its part before the recording began is cut at the recording's zero; its real time stays in timestamp.
    expect(hello).toMatchObject({ start_time: 0, end_time: 1, timestamp: iso(1_000) });
  });
});
