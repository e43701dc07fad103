// Longest event-loop block the SDK causes, in one fresh process of node, deno or bun:
// `node loop-block-probe.mjs <entry url>`. A 1 ms interval notes each late tick; the longest lateness
// around each phase is that phase's block (the SDK import itself is timed apart: it precedes the loop).
const args = globalThis.Deno ? Deno.args : process.argv.slice(2);
const entry = args[0];
const t0 = performance.now();
const { CekuraTracer } = await import(entry);
const importMs = performance.now() - t0;

let longest = 0;
let last = performance.now();
const tick = setInterval(() => {
  const now = performance.now();
  longest = Math.max(longest, now - last);
  last = now;
}, 1);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** Runs `work`, then lets the loop run `settleMs`; returns the longest gap between ticks meanwhile, and work's own sync time. */
async function phase(work, settleMs) {
  await sleep(20);
  longest = 0;
  last = performance.now();
  const start = performance.now();
  work();
  const syncMs = performance.now() - start;
  await sleep(settleMs);
  return { blockMs: Math.max(longest, syncMs), syncMs };
}

const idle = await phase(() => {}, 100);
// The runtime's own first fetch() (Node 20 evaluates undici then): the SDK's first send pays it, as
// would any fetch in the app. Done first, so the phases below show the SDK's own blocks.
const firstFetch = await phase(() => void fetch("http://127.0.0.1:9/").catch(() => {}), 300);
let tracer;
let session;
const construction = await phase(() => {
  tracer = new CekuraTracer({ apiKey: "k", agentId: 1, ingestUrl: "http://127.0.0.1:9", onError: () => {} });
}, 300);
const turn = (n) => {
  const t = session.startTurn();
  t.stt({ provider: "deepgram", language: "en" }).text(`hello ${n}`).end();
  const llm = t.llm({ provider: "openai", model: "gpt-4o", tools: ["lookup"] });
  t.toolCall({ id: `c${n}`, name: "lookup", input: { q: n } }).end({ output: { ok: true } });
  llm.text("answer").usage({ inputTokens: 10, outputTokens: 5 }).end();
  t.tts({ provider: "cartesia", voiceId: "v" }).text("answer").end();
  t.end();
};
const firstCall = await phase(() => {
  session = tracer.observe({});
  turn(1);
}, 300);
// Steady state: 50 more turns, one per macrotask as a call makes them, each with its sends.
await sleep(20);
longest = 0;
last = performance.now();
let steadySync = 0;
for (let n = 2; n < 52; n++) {
  const start = performance.now();
  turn(n);
  steadySync = Math.max(steadySync, performance.now() - start);
  await sleep(2);
}
await sleep(100);
const steady = { blockMs: Math.max(longest, steadySync), syncMs: steadySync };
clearInterval(tick);
session.abort?.();
console.log(`LOOP_BLOCK ${JSON.stringify({ importMs, idle, firstFetch, construction, firstCall, steady })}`);
if (globalThis.Deno) Deno.exit(0);
else process.exit(0);
