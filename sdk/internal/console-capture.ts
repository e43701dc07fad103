/**
 * Opt-in console capture: console.* output is recorded into a session's logs while exactly one
 * session is active in the process (with two or more, a line cannot be attributed, so nothing is
 * captured). The originals are restored as soon as that is no longer the case.
 */
import type { LogLevel } from "../wire/types.ts";

export interface ConsoleSink {
  readonly captureConsole: boolean;
  recordConsole(level: LogLevel, message: string): void;
}

const METHODS = { debug: "debug", log: "info", info: "info", warn: "warn", error: "error" } as const;
type Method = keyof typeof METHODS;

const active = new Set<ConsoleSink>();
let originals: Partial<Record<Method, (...args: unknown[]) => void>> | undefined;
let recording = false;

export function sessionStarted(sink: ConsoleSink): void {
  active.add(sink);
  update();
}

export function sessionEnded(sink: ConsoleSink): void {
  active.delete(sink);
  update();
}

/** Whether console.* is currently wrapped (for tests). */
export function consoleCaptured(): boolean {
  return originals !== undefined;
}

function update(): void {
  const only = active.size === 1 ? [...active][0] : undefined;
  if (only?.captureConsole) install(only);
  else restore();
}

function install(sink: ConsoleSink): void {
  restore();
  const c = console as unknown as Record<Method, (...args: unknown[]) => void>;
  originals = {};
  for (const method of Object.keys(METHODS) as Method[]) {
    const original = c[method];
    if (typeof original !== "function") continue;
    originals[method] = original;
    c[method] = function captured(...args: unknown[]) {
      original.apply(console, args);
      if (recording) return;
      recording = true;
      try {
        sink.recordConsole(METHODS[method], format(args));
      } catch {
        // never let capture break the caller's console call
      } finally {
        recording = false;
      }
    };
  }
}

function restore(): void {
  if (!originals) return;
  const c = console as unknown as Record<Method, (...args: unknown[]) => void>;
  for (const [method, fn] of Object.entries(originals)) c[method as Method] = fn;
  originals = undefined;
}

function format(args: unknown[]): string {
  return args
    .map((a) => {
      if (typeof a === "string") return a;
      if (a instanceof Error) return a.stack ?? `${a.name}: ${a.message}`;
      try {
        return JSON.stringify(a) ?? String(a);
      } catch {
        return String(a);
      }
    })
    .join(" ");
}
