/** `session.logger`: leveled logging into the session's record (captureLogs: INFO and above). */
import type { LogLevel } from "./wire/types.ts";

export interface SessionLogger {
  debug(message: string, attributes?: Record<string, unknown>): void;
  info(message: string, attributes?: Record<string, unknown>): void;
  warn(message: string, attributes?: Record<string, unknown>): void;
  error(message: string, attributes?: Record<string, unknown>): void;
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
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}
