/**
 * The protocol's timestamps: UTC ISO-8601 with milliseconds, real calendar instants in TIME_RANGE.
 * Plain code, no zod: the SDK checks a time with the same bounds before it sends it.
 */

/** Timestamps must fall in [min, max) (epoch ms): a real call, and dates every consumer can represent. */
export const TIME_RANGE = { min: Date.UTC(2000, 0, 1), max: Date.UTC(2100, 0, 1) } as const;

/** True for a protocol timestamp that names an existing instant in TIME_RANGE (no month 13, no February 30). */
export function isRealUtcTime(value: string): boolean {
  const ms = Date.parse(value);
  if (!Number.isFinite(ms) || ms < TIME_RANGE.min || ms >= TIME_RANGE.max) return false;
  return new Date(ms).toISOString() === value;
}
