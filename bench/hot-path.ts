/**
 * SDK hot path, runtime-neutral (Node via tsx, `deno run -A`, `bun`): cost of each recording call
 * vs a bare array push of the same input object, measured in the same process.
 * Fetch is an in-process answer (no network), so the figures are the SDK's own cost.
 * Prints one line `BENCH_JSON {...}` on stdout.
 *
 * Method: samples are batches of 10 calls timed with performance.now() (per-call = batch / 10),
 * 10 000 calls per kind per run, 3 runs; median and p99 are the medians over the runs. The event loop
 * is given a turn every 1 000 calls (outside the timed region) so the background flusher runs as it
 * would in an agent. "all-in" = process CPU time (process.cpuUsage, all threads) of N calls plus
 * flush() - validation, serialisation, gzip and the in-process send - divided by N.
 */
import { acknowledged, offlineTracer } from "./lib/offline-tracer.ts";
import { ASSISTANT_TEXT, LOG_ATTRS, monoFrame, SAMPLE_RATE, TOOL_ARGS } from "./lib/call-model.ts";
import { median, p99 } from "./lib/stats.ts";

const RUNS = Number(globalThis.process?.env?.BENCH_HOT_RUNS ?? 3);
const CALLS = 10_000;
const BATCH = 10;
const YIELD_EVERY = 1_000;

const runtime = "Deno" in globalThis ? "deno" : "Bun" in globalThis ? "bun" : "node";
/** Process CPU time in microseconds (user + system, all threads); undefined where unavailable. */
function cpuMicros(): number | undefined {
  const usage = (
    globalThis as { process?: { cpuUsage?: () => { user: number; system: number } } }
  ).process?.cpuUsage?.();
  return usage ? usage.user + usage.system : undefined;
}
const tick = () => new Promise<void>((r) => setTimeout(r, 0));

let puts = 0;
let posts = 0;
const fakeFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
  if (init?.method === "PUT") puts++;
  else posts++;
  return acknowledged();
};

function newSession() {
  return offlineTracer({ fetch: fakeFetch }).observe({ sessionId: `bench-${crypto.randomUUID()}` });
}

type Kind = "transcript" | "toolCall" | "log" | "audioFrame";
const frame = monoFrame();
const transcriptInput = { role: "assistant" as const, text: ASSISTANT_TEXT };
const toolInput = { id: "call-1", name: "find_slots", arguments: TOOL_ARGS };
const logAttrs = LOG_ATTRS;

type Session = ReturnType<typeof newSession>;
const channel = (i: number) => (i & 1 ? "assistant" : "user");
/** One call of each kind on the session, and the baseline: push the same input to an array (i is the call number). */
const calls: Record<Kind, { sdk(s: Session, i: number): void; baseline(list: unknown[], i: number): void }> = {
  transcript: { sdk: (s) => s.transcript(transcriptInput), baseline: (list) => void list.push(transcriptInput) },
  toolCall: { sdk: (s) => s.toolCall(toolInput), baseline: (list) => void list.push(toolInput) },
  log: {
    sdk: (s) => s.log("info", "llm request started", logAttrs),
    baseline: (list) => void list.push({ level: "info", message: "llm request started", attributes: logAttrs }),
  },
  audioFrame: {
    sdk: (s, i) => s.audio(channel(i), frame, SAMPLE_RATE),
    baseline: (list, i) => void list.push({ channel: channel(i), frame, sampleRate: SAMPLE_RATE }),
  },
};

interface Sampled {
  medianUs: number;
  p99Us: number;
  allInUs?: number;
}

async function sample(call: (i: number) => void, finish?: () => Promise<void>): Promise<Sampled> {
  const samples: number[] = [];
  const cpu0 = cpuMicros();
  for (let i = 0; i < CALLS; ) {
    const t0 = performance.now();
    for (let k = 0; k < BATCH; k++, i++) call(i);
    const dt = performance.now() - t0;
    samples.push((dt * 1000) / BATCH);
    if (i % YIELD_EVERY === 0) await tick();
  }
  const result: Sampled = { medianUs: median(samples), p99Us: p99(samples) };
  if (finish) {
    await finish();
    const cpu1 = cpuMicros();
    if (cpu0 !== undefined && cpu1 !== undefined) result.allInUs = (cpu1 - cpu0) / CALLS;
  }
  return result;
}

async function otelSpanCost(): Promise<Sampled | undefined> {
  try {
    const { BasicTracerProvider, SimpleSpanProcessor, InMemorySpanExporter } = await import(
      "@opentelemetry/sdk-trace-base"
    );
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    const tracer = provider.getTracer("bench");
    const result = await sample(() =>
      tracer.startSpan("llm", { attributes: { "gen_ai.request.model": "gpt-4o-mini" } }).end(),
    );
    exporter.reset();
    await provider.shutdown();
    return result;
  } catch {
    return undefined;
  }
}

const kinds: Kind[] = ["transcript", "toolCall", "log", "audioFrame"];
const perRun: Record<string, { sdk: Sampled[]; base: Sampled[] }> = {};
const otel: Sampled[] = [];
for (let run = 0; run < RUNS; run++) {
  for (const kind of kinds) {
    const s = newSession();
    const list: unknown[] = [];
    const base = await sample((i) => calls[kind].baseline(list, i));
    list.length = 0;
    const sdk = await sample(
      (i) => calls[kind].sdk(s, i),
      () => s.flush(),
    );
    await s.close().catch(() => undefined);
    (perRun[kind] ??= { sdk: [], base: [] }).sdk.push(sdk);
    perRun[kind]!.base.push(base);
  }
  const o = await otelSpanCost();
  if (o) otel.push(o);
}

const med = (xs: Sampled[], k: keyof Sampled) => median(xs.map((x) => x[k] ?? Number.NaN));
const out = {
  runtime,
  version:
    runtime === "deno"
      ? (globalThis as any).Deno.version.deno
      : runtime === "bun"
        ? (globalThis as any).Bun.version
        : (globalThis as any).process.version,
  runs: RUNS,
  callsPerRun: CALLS,
  batch: BATCH,
  audioRequestsSeen: puts,
  fragmentRequestsSeen: posts,
  kinds: Object.fromEntries(
    kinds.map((k) => [
      k,
      {
        medianUs: med(perRun[k]!.sdk, "medianUs"),
        p99Us: med(perRun[k]!.sdk, "p99Us"),
        allInUs: med(perRun[k]!.sdk, "allInUs"),
        baselineMedianUs: med(perRun[k]!.base, "medianUs"),
        baselineP99Us: med(perRun[k]!.base, "p99Us"),
      },
    ]),
  ),
  otelSpan: otel.length ? { medianUs: med(otel, "medianUs"), p99Us: med(otel, "p99Us") } : null,
};
console.log(`BENCH_JSON ${JSON.stringify(out)}`);
