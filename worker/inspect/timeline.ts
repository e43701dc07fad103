/** One time axis shared by the transcript lanes, the waveforms and the waterfall. */
import { num } from "./html.ts";

export interface TimeAxis {
  startMs: number;
  endMs: number;
  /** Position of an epoch-ms time, in percent of the axis width (clamped). */
  pct(ms: number): number;
}

/** An axis over [startMs, endMs]; any input (NaN, reversed, centuries long) gives a usable axis. */
export function createAxis(startMs: number, endMs: number): TimeAxis {
  const start = Number.isFinite(startMs) ? startMs : 0;
  const span = Number.isFinite(endMs) ? Math.max(1, endMs - start) : 1;
  return {
    startMs: start,
    endMs: start + span,
    pct: (ms) => (Number.isFinite(ms) ? Math.min(100, Math.max(0, ((ms - start) / span) * 100)) : 0),
  };
}

/** At most this many tick labels, whatever the axis spans. */
export const MAX_TICKS = 12;

/** The smallest "nice" step (1, 2 or 5 times a power of ten seconds, or 15 / 30 of them) that needs at most 10 ticks. */
export function tickStepSeconds(seconds: number): number {
  if (!(seconds > 0) || !Number.isFinite(seconds)) return 1;
  const nice = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200];
  const found = nice.find((s) => seconds / s <= 10);
  if (found !== undefined) return found;
  const rough = seconds / 10;
  const power = 10 ** Math.floor(Math.log10(rough));
  return [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough) ?? 10 * power;
}

/** A tick label: seconds, minutes, hours or days, as the step calls for. */
function tickLabel(t: number, step: number): string {
  if (step >= 86_400) return `${num(t / 86_400, 1)}d`;
  if (step >= 3600) return `${num(t / 3600, 1)}h`;
  if (step >= 60) return `${num(t / 60, 1)}m`;
  return `${num(t, 0)}s`;
}

/** Tick labels every "nice" number of seconds, never more than MAX_TICKS. */
export function renderAxis(axis: TimeAxis): string {
  const seconds = (axis.endMs - axis.startMs) / 1000;
  const step = tickStepSeconds(seconds);
  const ticks: string[] = [];
  for (let i = 0; i < MAX_TICKS && i * step <= seconds; i++) {
    const t = i * step;
    ticks.push(`<span style="left:${num((t / seconds) * 100)}%">${tickLabel(t, step)}</span>`);
  }
  return `<div class="lane"><div class="label"></div><div class="axis">${ticks.join("")}</div></div>`;
}
