/**
 * What a failed storage call may say to a tenant (issue 29 item 10). An S3 error body can name the access
 * key id, the string to sign or the bucket layout, and a session's lastError is shown by its status and the
 * inspector: the error's text is the operation, the HTTP status and S3's error code only; the body is
 * logged for the operator and goes nowhere else.
 */

/** S3's <Code> when it is a plain identifier (e.g. SignatureDoesNotMatch), otherwise undefined. */
export function s3ErrorCode(body: string): string | undefined {
  const code = /<Code>\s*([A-Za-z0-9.]{1,64})\s*<\/Code>/.exec(body)?.[1];
  return code;
}

/** Logs the whole answer and returns the error to throw, whose message holds no part of the body. */
export function storageFailure(operation: string, status: number | undefined, body: string): Error {
  const code = s3ErrorCode(body) ?? "no error code";
  console.error(`storage: S3 ${operation} failed`, status ?? "(200 with an error body)", body.slice(0, 2000));
  return new Error(`S3 ${operation} failed${status === undefined ? "" : ` with ${status}`} (${code})`);
}
