/**
 * SDK heap per active session (Node, run with --expose-gc): heap after opening N sessions, each with
 * one minute of a call's events recorded and delivered (fetch answered in-process), minus the heap
 * before; baseline = the same events kept as plain objects in one array per session.
 * Prints `BENCH_JSON {...}`.
 */
import { offlineTracer } from "./lib/offline-tracer.ts";
import { eventsOfSecond } from "./lib/call-model.ts";

const SESSIONS = Number(process.env.BENCH_MEMORY_SESSIONS ?? 200);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with node --expose-gc");
const heap = () => {
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
};
const tracer = offlineTracer();
const minute = eventsOfSecond.length ? Array.from({ length: 60 }, (_, s) => eventsOfSecond(s, Date.now())).flat() : [];

function record(s: ReturnType<typeof tracer.observe>): void {
  for (const e of minute) {
    if (e.kind === "transcript") s.transcript({ role: e.role, text: e.text });
    else if (e.kind === "tool_call") s.toolCall({ id: e.id, name: e.name, arguments: JSON.parse(e.arguments) });
    else if (e.kind === "tool_result") s.toolResult({ id: e.id, result: JSON.parse(e.result) });
    else if (e.kind === "log") s.log(e.level, e.message, e.attributes);
  }
}

// Warm-up: one-time costs (compiled code, caches) are not per-session.
for (let i = 0; i < 20; i++) {
  const s = tracer.observe({ sessionId: `warm-${i}` });
  record(s);
  await s.flush();
}
const before = heap();
const sessions = [];
for (let i = 0; i < SESSIONS; i++) {
  const s = tracer.observe({ sessionId: `mem-${i}` });
  record(s);
  sessions.push(s);
}
await Promise.all(sessions.map((s) => s.flush()));
const delivered = heap();
// Recorded but not yet sent (what a session holds between flushes): one more minute each, no flush.
for (const s of sessions) record(s);
const queued = heap();

const baseBefore = heap();
const arrays: unknown[][] = [];
for (let i = 0; i < SESSIONS; i++) arrays.push(minute.map((e) => ({ ...e })));
const baseAfter = heap();

console.log(
  `BENCH_JSON ${JSON.stringify({
    sessions: SESSIONS,
    eventsPerMinute: minute.length,
    bytesPerIdleSession: (delivered - before) / SESSIONS,
    bytesPerSessionWithMinuteQueued: (queued - before) / SESSIONS,
    baselineBytesPerMinuteOfEvents: (baseAfter - baseBefore) / SESSIONS,
    keep: sessions.length + arrays.length,
  })}`,
);
// The sessions' flush timers would keep the process alive; they are not closed (nothing is listening).
process.exit(0);
