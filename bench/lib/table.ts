/** One printed table for every figure: what, value, baseline, ratio, target, verdict. */
import { round } from "./stats.ts";

export interface Row {
  section: string;
  figure: string;
  value: number;
  unit: string;
  baseline?: { label: string; value: number };
  /** value / baseline.value */
  ratio?: number;
  /** e.g. "<= 1 us" */
  target?: string;
  /** true: met; false: missed (note says by how much); undefined: no target. */
  met?: boolean;
  note?: string;
}

const fmt = (n: number | undefined): string =>
  n === undefined ? "" : Number.isFinite(n) ? String(round(n)) : String(n);

export function renderTable(rows: readonly Row[]): string {
  const header = ["section", "figure", "value", "baseline", "ratio", "target", "met", "note"];
  const cells = rows.map((r) => [
    r.section,
    r.figure,
    `${fmt(r.value)} ${r.unit}`,
    r.baseline ? `${r.baseline.label} ${fmt(r.baseline.value)}` : "",
    r.ratio === undefined ? "" : `${fmt(r.ratio)}x`,
    r.target ?? "",
    r.met === undefined ? "" : r.met ? "yes" : "NO",
    r.note ?? "",
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) =>
    c
      .map((v, i) => v.padEnd(widths[i]!))
      .join(" | ")
      .trimEnd();
  return [line(header), widths.map((w) => "-".repeat(w)).join("-|-"), ...cells.map(line)].join("\n");
}
