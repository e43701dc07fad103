import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { ErrorCode } from "../sdk/wire/error-codes.ts";

/**
 * The one error the Worker answers with, in the manner of hono's HTTPException: thrown anywhere in a
 * request, turned into `{error, detail}` by the app's onError. `code` is stable and is the wire `error`.
 */
export class HttpError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: ErrorCode,
    readonly detail: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(`${code}: ${detail}`);
    this.name = "HttpError";
  }

  getResponse(): Response {
    return Response.json({ error: this.code, detail: this.detail }, { status: this.status, headers: this.headers });
  }
}

/** What a Durable Object method returns across RPC: a value or a wire error (classes do not survive RPC). */
export type Outcome<T> =
  | { ok: true; value: T }
  | { ok: false; status: ContentfulStatusCode; error: ErrorCode; detail: string; headers?: Record<string, string> };

export const ok = <T>(value: T): Outcome<T> => ({ ok: true, value });
export const fail = (status: ContentfulStatusCode, error: ErrorCode, detail: string): Outcome<never> => ({
  ok: false,
  status,
  error,
  detail,
});

/** 404 for a session this API key has never created (another tenant's session looks the same). */
export const sessionNotFound = (sessionId: string, hint = ""): Outcome<never> =>
  fail(404, "session_not_found", `no session "${sessionId}" exists for this API key${hint ? `; ${hint}` : ""}`);

/** Unwraps an Outcome in a route, throwing the HttpError it carries. */
export function unwrap<T>(outcome: Outcome<T>): T {
  if (outcome.ok) return outcome.value;
  throw new HttpError(outcome.status, outcome.error, outcome.detail, outcome.headers);
}
