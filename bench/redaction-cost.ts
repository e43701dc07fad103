/**
 * Redaction CPU per KB of fragment (issue 27): a realistic fragment (transcript turns, tool calls and
 * results as JSON text, logs with attributes, a little PII) redacted with every built-in detector, a
 * field path and a custom pattern on, beside the same fragment without redaction (its JSON encoding,
 * which every fragment pays anyway). Also an OTLP span batch through redactOtlpBody. CPU time from
 * process.cpuUsage over many rounds, median of BENCH_REDACTION_RUNS.
 * Run: npx tsx bench/redaction-cost.ts
 */
import { pathToFileURL } from "node:url";
import { createRedactor, DETECTORS, redactOtlpBody } from "../sdk/redact.ts";
import type { SessionEvent } from "../sdk/wire/types.ts";
import { median } from "./lib/stats.ts";
import type { Row } from "./lib/table.ts";

const RUNS = Number(process.env.BENCH_REDACTION_RUNS ?? 5);
const ROUNDS = Number(process.env.BENCH_REDACTION_ROUNDS ?? 200);

function fragmentEvents(turns: number): SessionEvent[] {
  const events: SessionEvent[] = [];
  const t = (ms: number) => new Date(Date.UTC(2026, 10, 25, 12) + ms).toISOString();
  for (let i = 0; i < turns; i++) {
    events.push({
      kind: "transcript",
      role: i % 2 ? "assistant" : "user",
      text:
        i % 5 === 0
          ? `Sure, my email is caller${i}@example.com and my card is 4111 1111 1111 1111, call me on +1 415 555 0${100 + i}.`
          : `Turn ${i}: I'd like to move my appointment from 2026-11-25 10:30 to Thursday afternoon, booking ref BK-${1796446120774 + i}.`,
      startedAt: t(i * 4000),
      endedAt: t(i * 4000 + 2500),
    } as SessionEvent);
    if (i % 3 === 0) {
      events.push({
        kind: "tool_call",
        id: `call_${i}`,
        name: "reschedule",
        arguments: JSON.stringify({
          booking: `BK-${i}`,
          slot: t(i * 1000),
          customer: { email: `c${i}@example.org`, id: 1796446120774 + i },
        }),
        time: t(i * 4000 + 2600),
      } as SessionEvent);
      events.push({
        kind: "tool_result",
        id: `call_${i}`,
        result: JSON.stringify({
          ok: true,
          slots: [t(1), t(2), t(3)],
          confirmation: `CNF${100000 + i}`,
          amount: 129.5,
        }),
        isError: false,
        time: t(i * 4000 + 2900),
      } as SessionEvent);
    }
    events.push({
      kind: "log",
      level: "info",
      message: `llm latency ${200 + i} ms, ttfb ${90 + i} ms, session probe2-${1796446120774 + i}`,
      time: t(i * 4000 + 3000),
      attributes: { turn: i, model: "gpt-4o-mini", trace: "5b8efff798038103d269b633813fc60c" },
    } as SessionEvent);
  }
  return events;
}

function otlpBody(spans: number): Uint8Array {
  const start = 1796446120774000000n;
  const s = (v: string) => ({ stringValue: v });
  return new TextEncoder().encode(
    JSON.stringify({
      resourceSpans: [
        {
          resource: { attributes: [{ key: "service.name", value: s("agent") }] },
          scopeSpans: [
            {
              scope: { name: "cekura" },
              spans: Array.from({ length: spans }, (_, i) => ({
                traceId: "5b8efff798038103d269b633813fc60c",
                spanId: (0xeee19b7ec3c1b174n + BigInt(i)).toString(16),
                name: ["stt", "llm", "tts"][i % 3],
                startTimeUnixNano: String(start + BigInt(i) * 1_000_000n),
                endTimeUnixNano: String(start + BigInt(i) * 2_000_000n),
                attributes: [
                  { key: "conversation.id", value: s(`probe2-${1796446120774 + i}`) },
                  { key: "gen_ai.prompt", value: s(`user said: call me at +1 415 555 01${10 + (i % 80)}`) },
                  { key: "tools", value: { arrayValue: { values: [s("reschedule"), s("lookup")] } } },
                ],
                status: { code: 1 },
              })),
            },
          ],
        },
      ],
    }),
  );
}

/** CPU microseconds per KB for `work` over `bytes`. */
function cpuPerKb(bytes: number, work: () => unknown): number {
  const perRun: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const before = process.cpuUsage();
    for (let i = 0; i < ROUNDS; i++) work();
    const used = process.cpuUsage(before);
    perRun.push((used.user + used.system) / ROUNDS / (bytes / 1024));
  }
  return median(perRun);
}

export interface RedactionCostResult {
  fragmentKb: number;
  plainUsPerKb: number;
  redactedUsPerKb: number;
  otlpKb: number;
  otlpPlainUsPerKb: number;
  otlpRedactedUsPerKb: number;
}

export function runRedactionCost(): RedactionCostResult {
  const all = createRedactor({
    detectors: [...DETECTORS],
    fields: ["**.password", "gen_ai.prompt"],
    patterns: [{ name: "booking", pattern: String.raw`BK-\d{1,16}` }],
  });
  const events = fragmentEvents(60);
  const bytes = new TextEncoder().encode(JSON.stringify(events)).length;
  const plainUsPerKb = cpuPerKb(bytes, () => JSON.stringify(events));
  const redactedUsPerKb = cpuPerKb(bytes, () => JSON.stringify(events.map((e) => all.event(e))));
  const body = otlpBody(100);
  const otlpPlainUsPerKb = cpuPerKb(body.length, () =>
    new TextEncoder().encode(JSON.stringify(JSON.parse(new TextDecoder().decode(body)))),
  );
  const otlpRedactedUsPerKb = cpuPerKb(body.length, () => redactOtlpBody(all, body));
  return {
    fragmentKb: bytes / 1024,
    plainUsPerKb,
    redactedUsPerKb,
    otlpKb: body.length / 1024,
    otlpPlainUsPerKb,
    otlpRedactedUsPerKb,
  };
}

export function redactionCostRows(r: RedactionCostResult): Row[] {
  return [
    {
      section: "redaction",
      figure: `CPU per KB of fragment, every detector + a field + a pattern (${r.fragmentKb.toFixed(1)} KB)`,
      value: r.redactedUsPerKb,
      unit: "us/KB",
      baseline: { label: "same fragment, no redaction (JSON encode)", value: r.plainUsPerKb },
      ratio: r.redactedUsPerKb / r.plainUsPerKb,
      note: `median of ${RUNS} runs x ${ROUNDS} rounds, Node ${process.version}`,
    },
    {
      section: "redaction",
      figure: `CPU per KB of OTLP span batch, redactOtlpBody (${r.otlpKb.toFixed(1)} KB)`,
      value: r.otlpRedactedUsPerKb,
      unit: "us/KB",
      baseline: { label: "same body, parse + encode only", value: r.otlpPlainUsPerKb },
      ratio: r.otlpRedactedUsPerKb / r.otlpPlainUsPerKb,
    },
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const { renderTable } = await import("./lib/table.ts");
  const result = runRedactionCost();
  console.log(renderTable(redactionCostRows(result)));
  console.log(`BENCH_JSON ${JSON.stringify(result)}`);
}
