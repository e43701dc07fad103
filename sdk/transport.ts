/**
 * The one way the SDK talks to the Worker: fetch (called unbound), auth header, retries with
 * exponential backoff + full jitter, Retry-After, and errors as classes. Shared by the fragment
 * flusher, consent calls, audio chunks (sdk/audio/) and OTLP traces (sdk/otel/).
 */
import { DEFAULTS } from "./defaults.ts";
import { ApiError, ConfigError, ConnectionError, SdkError, TimeoutError } from "./errors.ts";
import { sleep } from "./internal/sleep.ts";
import { isRetryableStatus, nextDelay, resolveRetryOptions, type RetryOptions } from "./retry.ts";
import type { ErrorCode } from "./wire/error-codes.ts";

export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

export interface TransportOptions {
  /** The Worker's base URL, e.g. https://ingest.example.com (a path prefix is kept). */
  ingestUrl: string;
  apiKey: string;
  /** Injected fetch; otherwise globalThis.fetch, read lazily and called unbound. */
  fetch?: FetchLike;
  retry?: Partial<RetryOptions>;
  /** Per-attempt timeout in ms (default 15 000). */
  requestTimeoutMs?: number;
}

export interface SendOptions {
  method?: "GET" | "POST" | "PUT" | "DELETE";
  /** Path below ingestUrl, e.g. `/v1/sessions/abc/audio/3`. */
  path: string;
  /** Sent byte-for-byte on every attempt. A string is sent as UTF-8. */
  body?: Uint8Array | string;
  headers?: Record<string, string>;
  /** Sent as `Idempotency-Key`; the Worker's routes are idempotent by design either way. */
  idempotencyKey?: string;
  /** false: one attempt only. */
  retry?: boolean;
  /** Aborting stops waiting/retrying (the in-flight fetch is aborted too). */
  signal?: AbortSignal;
}

export interface SendResult<T = unknown> {
  status: number;
  headers: Headers;
  /** Parsed JSON answer; undefined when the answer was not JSON (its body is cancelled). */
  body: T;
}

export interface Transport {
  readonly ingestUrl: string;
  /** Sends one request with the retry rules; resolves with a 2xx answer, rejects with an SdkError. */
  send<T = unknown>(options: SendOptions): Promise<SendResult<T>>;
  /** POST (or other method) of a JSON value; resolves with the parsed JSON answer. */
  sendJson<T = unknown>(path: string, value: unknown, options?: Omit<SendOptions, "path" | "body">): Promise<T>;
}

/** Validates and normalises a base URL (http/https, no query or fragment, no trailing slash). */
export function normaliseIngestUrl(value: unknown): string {
  if (typeof value !== "string" || value.trim() === "")
    throw new ConfigError("ingestUrl is required: the Worker's base URL, e.g. https://ingest.example.com");
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw new ConfigError(`ingestUrl must be an absolute http(s) URL, got "${value}"`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:")
    throw new ConfigError(`ingestUrl must use http or https, got "${url.protocol}"`);
  if (url.search || url.hash) throw new ConfigError(`ingestUrl must not have a query or fragment, got "${value}"`);
  if (url.username || url.password) throw new ConfigError("ingestUrl must not carry credentials; pass apiKey instead");
  return url.toString().replace(/\/+$/, "");
}

export function createTransport(options: TransportOptions): Transport {
  const ingestUrl = normaliseIngestUrl(options.ingestUrl);
  const policy = resolveRetryOptions(options.retry);
  const timeoutMs = options.requestTimeoutMs ?? DEFAULTS.requestTimeoutMs;
  const injected = options.fetch;
  const auth = `Bearer ${options.apiKey}`;

  const doFetch = (url: string, init: RequestInit): Promise<Response> => {
    const f = injected ?? (globalThis.fetch as FetchLike | undefined);
    if (typeof f !== "function")
      throw new ConfigError("no fetch is available in this runtime: pass `fetch` to new CekuraTracer({...})");
    // Unbound on purpose: Workers reject a fetch called with another `this`.
    return f.call(undefined, url, init);
  };

  async function attempt(url: string, init: RequestInit, outer?: AbortSignal): Promise<Response> {
    const controller = new AbortController();
    const onAbort = () => controller.abort();
    outer?.addEventListener("abort", onAbort, { once: true });
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    try {
      return await doFetch(url, { ...init, signal: controller.signal });
    } catch (error) {
      if (error instanceof SdkError) throw error;
      if (outer?.aborted) throw new SdkError("aborted", `${init.method} ${url} was cancelled`, { cause: error });
      if (controller.signal.aborted)
        throw new TimeoutError(`${init.method} ${url} got no answer within ${timeoutMs} ms`);
      throw new ConnectionError(
        `${init.method} ${url} failed: ${error instanceof Error ? error.message : String(error)}`,
        error,
      );
    } finally {
      clearTimeout(timer);
      outer?.removeEventListener("abort", onAbort);
    }
  }

  async function send<T>(request: SendOptions): Promise<SendResult<T>> {
    const method = request.method ?? (request.body === undefined ? "GET" : "POST");
    const url = ingestUrl + (request.path.startsWith("/") ? request.path : `/${request.path}`);
    const label = `${method} ${request.path}`;
    const headers: Record<string, string> = { authorization: auth, ...request.headers };
    if (request.idempotencyKey) headers["idempotency-key"] = request.idempotencyKey;
    const maxAttempts = request.retry === false ? 1 : policy.maxAttempts;
    let lastError: SdkError = new ConnectionError(`${label} was not attempted`);

    for (let n = 1; n <= maxAttempts; n++) {
      if (request.signal?.aborted) throw new SdkError("aborted", `${label} was cancelled`);
      let response: Response;
      try {
        response = await attempt(url, { method, headers, body: request.body as BodyInit | undefined }, request.signal);
      } catch (error) {
        if (!(error instanceof ConnectionError || error instanceof TimeoutError)) throw error;
        lastError = error;
        if (n < maxAttempts) await sleep(nextDelay(n, policy, undefined), request.signal);
        continue;
      }
      if (response.ok)
        return { status: response.status, headers: response.headers, body: (await readJsonOrCancel(response)) as T };

      const answer = (await readJsonOrCancel(response)) as { error?: unknown; detail?: unknown } | undefined;
      const code =
        typeof answer?.error === "string" ? (answer.error as ErrorCode) : (`http_${response.status}` as const);
      const detail = typeof answer?.detail === "string" ? answer.detail : response.statusText || "no detail given";
      lastError = new ApiError(response.status, code, detail, label);
      if (!isRetryableStatus(response.status)) throw lastError;
      if (n < maxAttempts) await sleep(nextDelay(n, policy, response.headers.get("retry-after")), request.signal);
    }
    throw lastError;
  }

  return {
    ingestUrl,
    send,
    async sendJson<T>(path: string, value: unknown, rest: Omit<SendOptions, "path" | "body"> = {}): Promise<T> {
      const result = await send<T>({
        method: "POST",
        ...rest,
        path,
        body: JSON.stringify(value),
        headers: { "content-type": "application/json", ...rest.headers },
      });
      return result.body;
    },
  };
}

/** Reads a JSON answer; anything else is cancelled unread (Workers warn about dangling bodies). */
async function readJsonOrCancel(response: Response): Promise<unknown> {
  const type = response.headers.get("content-type") ?? "";
  if (!type.includes("json")) {
    await response.body?.cancel().catch(() => undefined);
    return undefined;
  }
  try {
    return await response.json();
  } catch {
    return undefined;
  }
}
