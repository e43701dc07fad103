/** One time axis shared by the transcript lanes, the waveforms and the waterfall. */
import { num } from "./html.ts";

export interface TimeAxis {
  startMs: number;
  endMs: number;
  /** Position of an epoch-ms time, in percent of the axis width (clamped). */
  pct(ms: number): number;
}

export function createAxis(startMs: number, endMs: number): TimeAxis {
  const span = Math.max(1, endMs - startMs);
  return { startMs, endMs: startMs + span, pct: (ms) => Math.min(100, Math.max(0, ((ms - startMs) / span) * 100)) };
}

/** Tick labels every "nice" number of seconds. */
export function renderAxis(axis: TimeAxis): string {
  const seconds = (axis.endMs - axis.startMs) / 1000;
  const step = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600].find((s) => seconds / s <= 10) ?? 1200;
  const ticks: string[] = [];
  for (let t = 0; t <= seconds; t += step) ticks.push(`<span style="left:${num((t / seconds) * 100)}%">${t}s</span>`);
  return `<div class="lane"><div class="label"></div><div class="axis">${ticks.join("")}</div></div>`;
}
