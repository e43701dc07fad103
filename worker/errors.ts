import type { ContentfulStatusCode } from "hono/utils/http-status";

/**
 * The one error type the Worker answers with. `code` is stable and is the wire `error` field;
 * `detail` tells the caller what was wrong in words.
 */
export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    readonly detail: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(`${code}: ${detail}`);
    this.name = "ApiError";
  }

  toResponse(): Response {
    return Response.json({ error: this.code, detail: this.detail }, { status: this.status, headers: this.headers });
  }
}

/** What a Durable Object method returns across RPC: a value or a wire error (classes do not survive RPC). */
export type Outcome<T> =
  | { ok: true; value: T }
  | { ok: false; status: ContentfulStatusCode; error: string; detail: string; headers?: Record<string, string> };

export const ok = <T>(value: T): Outcome<T> => ({ ok: true, value });
export const fail = (status: ContentfulStatusCode, error: string, detail: string): Outcome<never> => ({
  ok: false,
  status,
  error,
  detail,
});

/** Unwraps an Outcome in a route, throwing the ApiError it carries. */
export function unwrap<T>(outcome: Outcome<T>): T {
  if (outcome.ok) return outcome.value;
  throw new ApiError(outcome.status, outcome.error, outcome.detail, outcome.headers);
}
