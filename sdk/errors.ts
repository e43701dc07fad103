import type { ErrorCode, HttpStatusCode } from "./wire/error-codes.ts";

/**
 * Errors of the SDK. Decide by `instanceof` or `code`, never by message text.
 * `code` is stable; for ApiError it is the Worker's wire `error` field.
 */

export class SdkError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "SdkError";
  }
}

/** A bad option given to `new CekuraTracer(...)` or `observe()/track()`. Thrown synchronously. */
export class ConfigError extends SdkError {
  constructor(message: string) {
    super("invalid_config", message);
    this.name = "ConfigError";
  }
}

/** Bad input to a recording call (transcript, toolCall, log...). Thrown synchronously. */
export class ValidationError extends SdkError {
  /** `field`: the input at fault when one is named (e.g. the metadata key "customer_number"). */
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super("invalid_input", message);
    this.name = "ValidationError";
  }
}

/** A recording call after close()/abort(), or setCustomMetadata after close was acknowledged. */
export class SessionClosedError extends SdkError {
  constructor(message: string) {
    super("session_closed", message);
    this.name = "SessionClosedError";
  }
}

/**
 * The Worker answered with an error status; `code` is the Worker's wire `error` (one of ERROR_CODES),
 * or `http_<status>` when the answer carried none; `detail` is the Worker's explanation.
 */
export class ApiError extends SdkError {
  declare readonly code: ErrorCode | HttpStatusCode;
  constructor(
    readonly status: number,
    code: ErrorCode | HttpStatusCode,
    readonly detail: string,
    readonly request: string,
  ) {
    super(code, `${request} -> ${status} ${code}: ${detail}`);
    this.name = "ApiError";
  }
}

/** fetch itself failed (connection refused, reset, DNS...) on every attempt. */
export class ConnectionError extends SdkError {
  constructor(message: string, cause?: unknown) {
    super("connection_error", message, { cause });
    this.name = "ConnectionError";
  }
}

/** A request, or a flush()/close(), did not finish in time. */
export class TimeoutError extends SdkError {
  constructor(message: string) {
    super("timeout", message);
    this.name = "TimeoutError";
  }
}

/** The bounded queue was full: events were dropped (logs first). Reported through onError. */
export class QueueOverflowError extends SdkError {
  constructor(
    message: string,
    readonly dropped: { logs: number; other: number },
  ) {
    super("queue_overflow", message);
    this.name = "QueueOverflowError";
  }
}
