/** `session.logger`: leveled logging into the session's record (captureLogs: INFO and above). */
import { LOG_LEVELS } from "./wire/limits.ts";
import type { LogLevel } from "./wire/types.ts";

export interface SessionLogger {
  debug(message: string, attributes?: Record<string, unknown>): void;
  info(message: string, attributes?: Record<string, unknown>): void;
  warn(message: string, attributes?: Record<string, unknown>): void;
  error(message: string, attributes?: Record<string, unknown>): void;
  /** Python's names: `warning` is `warn`; `critical` and `exception` are `error`. */
  warning(message: string, attributes?: Record<string, unknown>): void;
  critical(message: string, attributes?: Record<string, unknown>): void;
  exception(message: string, attributes?: Record<string, unknown>): void;
}

/** Python's logging level names, as `session.log()` and `session.logger` accept them. */
export const PYTHON_LOG_LEVELS = { warning: "warn", critical: "error", exception: "error", fatal: "error" } as const;

/** A level `log()` accepts: ours, or Python's name for one of them. */
export type AnyLogLevel = LogLevel | keyof typeof PYTHON_LOG_LEVELS;

/** Ours or Python's level name (any case) -> ours; undefined for anything else. */
export function logLevelOf(level: unknown): LogLevel | undefined {
  if (typeof level !== "string") return undefined;
  const name = level.toLowerCase();
  if ((LOG_LEVELS as readonly string[]).includes(name)) return name as LogLevel;
  return Object.hasOwn(PYTHON_LOG_LEVELS, name) ? PYTHON_LOG_LEVELS[name as keyof typeof PYTHON_LOG_LEVELS] : undefined;
}

export const LEVEL_RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/**
 * A logger that records through `log` when the level is at least `minLevel`, or not at all when
 * `minLevel` is undefined (captureLogs: false).
 */
export function createSessionLogger(
  log: (level: LogLevel, message: string, attributes?: Record<string, unknown>) => void,
  minLevel: LogLevel | undefined,
): SessionLogger {
  const at = (level: LogLevel) =>
    minLevel === undefined || LEVEL_RANK[level] < LEVEL_RANK[minLevel]
      ? () => undefined
      : (message: string, attributes?: Record<string, unknown>) => log(level, message, attributes);
  const warn = at("warn");
  const error = at("error");
  return {
    debug: at("debug"),
    info: at("info"),
    warn,
    error,
    warning: warn,
    critical: error,
    exception: error,
  };
}
