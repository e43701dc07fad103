/** Where a session's finalized record lives in the RECORDINGS bucket. */
export function recordKey(tenant: string, sessionId: string): string {
  return `records/${tenant}/${sessionId}.json`;
}

/** What a list of calls shows of a record, kept beside it as object metadata so a list never reads records. */
export interface RecordSummary {
  durationSeconds: number;
}

/**
 * Writes the record unless one exists: a retried finalization never replaces the first record, except with
 * `replace` (an abort-recording since: the record written then named audio that is gone).
 */
export async function writeRecord(
  bucket: R2Bucket,
  key: string,
  json: string,
  summary: RecordSummary,
  options: { replace?: boolean } = {},
): Promise<void> {
  if (!options.replace && (await bucket.head(key))) return;
  await bucket.put(key, json, {
    httpMetadata: { contentType: "application/json" },
    customMetadata: { durationSeconds: String(summary.durationSeconds) },
  });
}

/** The record's summary from its object metadata (a HEAD; never the record itself), or null when it has none. */
export async function readRecordSummary(bucket: R2Bucket, key: string): Promise<RecordSummary | null> {
  const head = await bucket.head(key);
  const duration = Number(head?.customMetadata?.durationSeconds);
  return head?.customMetadata?.durationSeconds !== undefined && Number.isFinite(duration)
    ? { durationSeconds: duration }
    : null;
}
