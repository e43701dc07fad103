/**
 * Heap of one forwarding attempt for a record at the session caps (Node's V8, run with --expose-gc): the
 * record JSON as read from storage, parsed, turned into the observe and track payloads and serialised,
 * as the outbox does on each attempt (heap plus external memory, above what the stored bytes take). Two shapes at the 16 MiB events cap: 100,000 short turns (the
 * events cap) and 256 turns of 64,000 characters. Prints `BENCH_JSON {...}`.
 * Run: node --expose-gc --import tsx bench/forward-memory.ts   (type-checked by test/tsconfig.json: it needs the
 * Workers types that worker/session uses)
 */
import type { SessionEvent } from "../sdk/protocol.ts";
import { buildObservePayload, observeFormFields } from "../worker/forward/observe-payload.ts";
import { buildTrackPayload } from "../worker/forward/track-payload.ts";
import { SESSION_CAPS } from "../worker/session/caps.ts";
import { newSessionMeta } from "../worker/session/meta.ts";
import { buildRecord, type SessionRecord } from "../worker/session/record.ts";

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with node --expose-gc");
const heap = () => {
  for (let i = 0; i < 3; i++) gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
};
const MiB = 1024 * 1024;
const start = Date.parse("2026-01-01T00:00:00.000Z");
const at = (ms: number) => new Date(start + ms).toISOString();

/** Transcript events of `chars` characters each, as many as fit the events-bytes cap (and the events cap). */
function eventsAtCap(chars: number): SessionEvent[] {
  const events: SessionEvent[] = [];
  let bytes = 2;
  for (let i = 0; i < SESSION_CAPS.events; i++) {
    const event: SessionEvent = {
      kind: "transcript",
      role: i % 2 ? "assistant" : "user",
      text: `${i} `.padEnd(chars, "word "),
      startedAt: at(i * 1000),
      endedAt: at(i * 1000 + 900),
    };
    const size = JSON.stringify(event).length + 1;
    if (bytes + size > SESSION_CAPS.eventBytes) break;
    bytes += size;
    events.push(event);
  }
  return events;
}

function recordJson(events: SessionEvent[]): string {
  const meta = newSessionMeta(
    {
      sessionId: "s-memory",
      tenant: "t",
      agentId: 1,
      mode: "observe",
      deferUpload: false,
      state: "closing",
      consent: "granted",
    },
    start,
  );
  const record = buildRecord({
    meta,
    fragments: [{ seq: 0, events }],
    finalizedAt: start + 3_600_000,
    endedReason: "completed",
    lastSeq: 0,
    missing: [],
  });
  return JSON.stringify(record);
}

async function attempt(name: string, chars: number) {
  let json: string | undefined = recordJson(eventsAtCap(chars));
  const recordBytes = new TextEncoder().encode(json).byteLength;
  let stored: Blob | undefined = new Blob([json]);
  json = undefined;
  const base = heap();
  // What the outbox holds during an attempt: the parsed record, the payload, and the body as sent.
  const record = (await new Response(stored).json()) as SessionRecord;
  const parsed = heap();
  let observeBody: Uint8Array | undefined = new TextEncoder().encode(
    observeFormFields(buildObservePayload(record, { spansForwarded: false }))
      .map(([, v]) => v)
      .join(""),
  );
  const observed = heap();
  const observeBytes = observeBody.byteLength;
  observeBody = undefined;
  const trackBody = new TextEncoder().encode(
    JSON.stringify(buildTrackPayload({ ...record, mode: "track" }, { spansForwarded: false })),
  );
  const tracked = heap();
  stored = undefined;
  return {
    name,
    events: record.transcript.length,
    recordMiB: recordBytes / MiB,
    parsedRecordMiB: (parsed - base) / MiB,
    observeAttemptMiB: (observed - base) / MiB,
    trackAttemptMiB: (tracked - base) / MiB,
    observeBodyMiB: observeBytes / MiB,
    trackBodyMiB: trackBody.byteLength / MiB,
  };
}

const results = [await attempt("100k short turns", 150), await attempt("256 turns of 64,000 characters", 64_000)];
for (const r of results) console.log(r);
console.log(`BENCH_JSON ${JSON.stringify({ results })}`);
