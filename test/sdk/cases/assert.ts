/** A tiny runtime-neutral assert helper (no node:assert in Deno/Bun/workerd cases). */
export class AssertionError extends Error {
  override name = "AssertionError";
}

export function ok(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionError(message);
}

const show = (v: unknown) => {
  try {
    const s = JSON.stringify(v);
    return s === undefined ? String(v) : s.length > 600 ? `${s.slice(0, 600)}...` : s;
  } catch {
    return String(v);
  }
};

/** Deep equality through JSON (key order matters for arrays only). */
export function equal(actual: unknown, expected: unknown, message: string): void {
  if (canonical(actual) !== canonical(expected)) {
    throw new AssertionError(`${message}\n  expected: ${show(expected)}\n  actual:   ${show(actual)}`);
  }
}

/** No error was reported (`errors` collects onError's reports); lists their messages when some were. */
export function noErrors(errors: Error[], message: string): void {
  equal(
    errors.map((e) => e.message),
    [],
    message,
  );
}

function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, value) =>
    value && typeof value === "object" && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      : value,
  );
}

type ErrorClass = abstract new (...args: never[]) => Error;

export function throws(fn: () => unknown, type: ErrorClass, pattern: RegExp, message: string): Error {
  try {
    fn();
  } catch (error) {
    check(error, type, pattern, message);
    return error as Error;
  }
  throw new AssertionError(`${message}: expected ${type.name} matching ${pattern}, nothing was thrown`);
}

/**
 * A recording call given bad input (or made after close/abort) does not throw: it reports one error
 * through onError (pushed to `errors`), of `type`, matching `pattern`.
 */
export function reports(
  errors: unknown[],
  fn: () => unknown,
  type: ErrorClass,
  pattern: RegExp,
  message: string,
): Error {
  const before = errors.length;
  try {
    fn();
  } catch (error) {
    throw new AssertionError(
      `${message}: a recording call threw ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  if (errors.length !== before + 1)
    throw new AssertionError(`${message}: expected one error through onError, got ${errors.length - before}`);
  check(errors[before], type, pattern, message);
  return errors[before] as Error;
}

export async function rejects(
  fn: () => Promise<unknown>,
  type: ErrorClass,
  pattern: RegExp,
  message: string,
): Promise<Error> {
  try {
    await fn();
  } catch (error) {
    check(error, type, pattern, message);
    return error as Error;
  }
  throw new AssertionError(`${message}: expected a rejection with ${type.name} matching ${pattern}, it resolved`);
}

function check(error: unknown, type: ErrorClass, pattern: RegExp, message: string): void {
  if (!(error instanceof type))
    throw new AssertionError(
      `${message}: expected ${type.name}, got ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
    );
  if (!pattern.test(error.message))
    throw new AssertionError(`${message}: "${error.message}" does not match ${pattern}`);
}

export const UTC_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
