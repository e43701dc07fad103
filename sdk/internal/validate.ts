/**
 * Fast synchronous checks for recording calls, mirroring the wire limits (the Worker checks
 * the same rules with zod). Hand-written because they run on the caller's path.
 */
import { LIMITS } from "../wire/limits.ts";
import { ValidationError } from "../errors.ts";
import { TIME_RANGE } from "../wire/time.ts";

export const textEncoder = new TextEncoder();

export function plainObject(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ValidationError(`${what} must be an object, got ${describe(value)}`);
  }
  return value as Record<string, unknown>;
}

export function boundedText(value: unknown, what: string, max: number = LIMITS.textLength): string {
  if (typeof value !== "string") throw new ValidationError(`${what} must be a string, got ${describe(value)}`);
  if (value.length > max) throw new ValidationError(`${what} must be at most ${max} characters, got ${value.length}`);
  return value;
}

export function identifier(value: unknown, what: string): string {
  const s = boundedText(value, what, 200);
  if (s.length === 0) throw new ValidationError(`${what} must not be empty`);
  return s;
}

/** Date or epoch ms -> UTC ISO string; undefined -> `fallback`. */
export function utcTime(value: unknown, what: string, fallback: string): string {
  if (value === undefined) return fallback;
  const ms = value instanceof Date ? value.getTime() : typeof value === "number" ? value : Number.NaN;
  if (!Number.isFinite(ms))
    throw new ValidationError(`${what} must be a Date or epoch milliseconds, got ${describe(value)}`);
  // The Worker refuses a fragment holding a time outside this range: refuse the one event here instead.
  if (ms < TIME_RANGE.min || ms >= TIME_RANGE.max) {
    throw new ValidationError(`${what} must be from 2000-01-01 to 2100-01-01 UTC, got ${new Date(ms).toISOString()}`);
  }
  return new Date(ms).toISOString();
}

/**
 * Tool arguments and results -> the JSON text sent to Cekura, encoded once. The rule: a string whose text
 * is a JSON object or array (OpenAI's `arguments` is one) is taken as that JSON; any other value, other
 * strings included, is encoded with JSON.stringify ("ok" -> "\"ok\"").
 */
export function toolJsonText(value: unknown, what: string): string {
  if (typeof value === "string" && /^\s*[[{]/.test(value)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      parsed = undefined;
    }
    if (typeof parsed === "object" && parsed !== null) {
      const text = value.trim();
      if (text.length > LIMITS.textLength)
        throw new ValidationError(
          `${what} must be at most ${LIMITS.textLength} characters of JSON, got ${text.length}`,
        );
      return text;
    }
  }
  return jsonText(value, what);
}

/** Any JSON value -> its JSON text (tool arguments/results travel as JSON strings). */
export function jsonText(value: unknown, what: string): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    throw new ValidationError(
      `${what} must be JSON-serialisable: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  if (text === undefined) throw new ValidationError(`${what} must be a JSON value, got ${describe(value)}`);
  if (text.length > LIMITS.textLength)
    throw new ValidationError(`${what} must be at most ${LIMITS.textLength} characters of JSON, got ${text.length}`);
  return text;
}

/** A JSON object of bounded size; returns the object and its JSON byte length. */
export function boundedJsonObject(
  value: unknown,
  what: string,
  maxBytes: number,
): { value: Record<string, unknown>; bytes: number } {
  const obj = plainObject(value, what);
  let text: string;
  try {
    text = JSON.stringify(obj);
  } catch (error) {
    throw new ValidationError(
      `${what} must be JSON-serialisable: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  // Characters bound bytes from below; only encode when it could matter.
  const bytes = text.length * 3 <= maxBytes ? text.length : textEncoder.encode(text).byteLength;
  if (bytes > maxBytes) throw new ValidationError(`${what} must be at most ${maxBytes} bytes of JSON, got ${bytes}`);
  // Round-trip so later caller mutations cannot change what was recorded.
  return { value: JSON.parse(text) as Record<string, unknown>, bytes };
}

export function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (value instanceof Date) return "an invalid Date";
  if (typeof value === "string") return `"${value.length > 40 ? `${value.slice(0, 40)}...` : value}"`;
  return typeof value === "object" ? "an object" : `${typeof value} ${String(value)}`;
}

let lastMs = -1;
let lastIso = "";
/** Now as a UTC ISO string; formatted once per millisecond (formatting dominates a recording call). */
export function utcNow(): string {
  const ms = Date.now();
  if (ms !== lastMs) {
    lastMs = ms;
    lastIso = new Date(ms).toISOString();
  }
  return lastIso;
}
