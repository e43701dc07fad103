/** The trace as a waterfall: OTLP JSON spans -> a tree (conversation -> turn -> stt/llm/tts) of timed bars. */
import { esc, num } from "./html.ts";
import type { TimeAxis } from "./timeline.ts";

export interface WaterfallSpan {
  spanId: string;
  parentSpanId: string | null;
  name: string;
  startMs: number;
  endMs: number;
  /** metrics.ttfb in seconds, when the span has it. */
  ttfbSeconds?: number;
  attributes: Record<string, string | number | boolean>;
  depth: number;
}

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
}

function scalar(value: unknown): string | number | boolean | undefined {
  if (!value || typeof value !== "object") return undefined;
  const v = value as OtlpValue;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return Number(v.doubleValue);
  if (v.boolValue !== undefined) return v.boolValue;
  return undefined;
}

const nanosToMs = (n: unknown) =>
  typeof n === "number" ? n / 1e6 : typeof n === "string" ? Number(BigInt(n) / 1000n) / 1000 : Number.NaN;

/** Parses stored span JSON texts (bad ones are skipped) and orders them depth-first by start time. */
export function buildWaterfall(spanTexts: string[]): WaterfallSpan[] {
  const spans: Omit<WaterfallSpan, "depth">[] = [];
  for (const text of spanTexts) {
    let raw: Record<string, unknown>;
    try {
      raw = JSON.parse(text) as Record<string, unknown>;
    } catch {
      continue;
    }
    const attributes: WaterfallSpan["attributes"] = {};
    for (const kv of Array.isArray(raw.attributes) ? raw.attributes : []) {
      const key = (kv as { key?: unknown }).key;
      const value = scalar((kv as { value?: unknown }).value);
      if (typeof key === "string" && value !== undefined) attributes[key] = value;
    }
    const startMs = nanosToMs(raw.startTimeUnixNano);
    const endMs = nanosToMs(raw.endTimeUnixNano);
    if (!Number.isFinite(startMs) || !Number.isFinite(endMs) || typeof raw.spanId !== "string") continue;
    const ttfb = attributes["metrics.ttfb"];
    spans.push({
      spanId: raw.spanId,
      parentSpanId: typeof raw.parentSpanId === "string" && raw.parentSpanId !== "" ? raw.parentSpanId : null,
      name: typeof raw.name === "string" ? raw.name : "span",
      startMs,
      endMs: Math.max(startMs, endMs),
      ...(typeof ttfb === "number" ? { ttfbSeconds: ttfb } : {}),
      attributes,
    });
  }
  const ids = new Set(spans.map((s) => s.spanId));
  const children = new Map<string | null, Omit<WaterfallSpan, "depth">[]>();
  for (const span of spans) {
    const parent = span.parentSpanId && ids.has(span.parentSpanId) ? span.parentSpanId : null;
    const list = children.get(parent) ?? [];
    list.push(span);
    children.set(parent, list);
  }
  const out: WaterfallSpan[] = [];
  const visit = (parent: string | null, depth: number) => {
    for (const span of (children.get(parent) ?? []).sort((a, b) => a.startMs - b.startMs)) {
      out.push({ ...span, depth });
      if (depth < 16) visit(span.spanId, depth + 1);
    }
  };
  visit(null, 0);
  return out;
}

const KNOWN = new Set(["conversation", "turn", "stt", "llm", "tts", "tool_call"]);

function label(span: WaterfallSpan): string {
  const a = span.attributes;
  if (span.name === "turn" && a["turn.number"] !== undefined)
    return `turn ${a["turn.number"]}${a["turn.was_interrupted"] === true ? " (interrupted)" : ""}`;
  if (span.name === "tool_call" && a["function.name"] !== undefined) return `tool ${a["function.name"]}`;
  const provider = a["gen_ai.provider.name"];
  return provider !== undefined ? `${span.name} · ${provider}` : span.name;
}

/** The waterfall's HTML: one lane per span, bars on the shared time axis, TTFB shaded inside the bar. */
export function renderWaterfall(spans: WaterfallSpan[], axis: TimeAxis): string {
  if (spans.length === 0) return `<p class="muted">No spans were recorded for this session.</p>`;
  const rows = spans.map((span) => {
    const left = axis.pct(span.startMs);
    const width = Math.max(0.15, axis.pct(span.endMs) - left);
    const durationMs = span.endMs - span.startMs;
    const ttfbPct =
      span.ttfbSeconds === undefined
        ? undefined
        : durationMs > 0
          ? Math.min(100, ((span.ttfbSeconds * 1000) / durationMs) * 100)
          : 100;
    const cls = KNOWN.has(span.name) ? span.name : "other";
    const text = `${label(span)} ${num(durationMs / 1000, 2)} s${span.ttfbSeconds !== undefined ? ` · TTFB ${num(span.ttfbSeconds, 3)} s` : ""}`;
    // The label follows the bar; near the right edge it goes before the bar, or inside a long bar (light text).
    const place = left + width <= 75 ? "after" : left >= 25 ? "before" : "inside";
    const labelStyle =
      place === "after"
        ? `left:${num(left + width + 0.5)}%`
        : place === "before"
          ? `right:${num(100 - left + 0.5)}%`
          : `left:${num(left + 0.5)}%`;
    return `<div class="lane span-row" data-span="${esc(span.name)}"><div class="label" style="padding-left:${span.depth * 10}px" title="${esc(label(span))}">${esc(label(span))}</div>
<div class="track"><div class="bar ${cls}" data-kind="${esc(cls)}" style="left:${num(left)}%;width:${num(width)}%" title="${esc(text)}">${ttfbPct !== undefined ? `<div class="ttfb" style="width:${num(ttfbPct)}%"></div>` : ""}</div><span class="barlabel${place === "inside" ? " inside" : ""}" style="${labelStyle}">${esc(text)}</span></div></div>`;
  });
  return `<div class="lanes waterfall">${rows.join("\n")}</div>`;
}
