/**
 * SDK hot path (Node): median nanoseconds per recording call on the caller's path, beside a bare
 * array push of the same input (the floor any in-memory recorder pays). fetch is answered in-process
 * so the background flusher runs without network. Run: npx tsx bench/sdk-hot-path.ts
 */
import { offlineTracer } from "./lib/offline-tracer.ts";

const BATCH = 100;
const BATCHES = Number(process.env.BENCH_BATCHES ?? 2000);
function session() {
  return offlineTracer().observe({ sessionId: `bench-${crypto.randomUUID()}` });
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

/** Median ns per call over BATCHES timed batches of BATCH calls; the event loop turns between batches. */
async function measure(call: (i: number) => void): Promise<number> {
  const perCall: number[] = [];
  for (let b = 0; b < 50; b++) for (let i = 0; i < BATCH; i++) call(i); // warm-up
  for (let b = 0; b < BATCHES; b++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < BATCH; i++) call(b * BATCH + i);
    perCall.push(Number(process.hrtime.bigint() - start) / BATCH);
    if (b % 10 === 0) await new Promise((r) => setTimeout(r, 0));
  }
  return median(perCall);
}

const text = "Sure, I can move your appointment to Friday at ten. Is there anything else I can help with?";
const args = { day: "friday", slot: "10:00", customer: { id: 1234, tier: "gold" } };
type S = ReturnType<typeof session>;
/** [name, the SDK call, the same input pushed onto a plain array] */
const kinds: [string, (s: S, i: number) => void, (sink: unknown[], i: number) => void][] = [
  [
    "transcript",
    (s, i) => s.transcript({ role: i % 2 ? "assistant" : "user", text }),
    (k, i) => k.push({ role: i % 2 ? "assistant" : "user", text }),
  ],
  [
    "toolCall",
    (s, i) => s.toolCall({ id: `c${i}`, name: "book", arguments: args }),
    (k, i) => k.push({ id: `c${i}`, name: "book", arguments: args }),
  ],
  [
    "log",
    (s, i) => s.log("info", "booked", { i }),
    (k, i) => k.push({ level: "info", message: "booked", attributes: { i } }),
  ],
  ["logger.debug (not captured)", (s) => s.logger.debug("debug"), (k) => k.push({ message: "debug" })],
  ["setCustomMetadata", (s, i) => s.setCustomMetadata({ step: i }), (k, i) => k.push({ step: i })],
];

console.log(`SDK hot path, Node ${process.version}: median ns per call (${BATCHES} batches x ${BATCH} calls)`);
console.log(`${"call".padEnd(30)} ${"SDK ns".padStart(10)} ${"bare push ns".padStart(14)} ${"ratio".padStart(7)}`);
for (const [name, sdkCall, bareCall] of kinds) {
  const s = session();
  let sink: unknown[] = [];
  const sdkNs = await measure((i) => sdkCall(s, i));
  const pushNs = await measure((i) => {
    if (sink.length > 100_000) sink = [];
    bareCall(sink, i);
  });
  await s.close().catch(() => undefined);
  console.log(
    `${name.padEnd(30)} ${sdkNs.toFixed(0).padStart(10)} ${pushNs.toFixed(0).padStart(14)} ${(sdkNs / pushNs).toFixed(1).padStart(7)}x`,
  );
}
