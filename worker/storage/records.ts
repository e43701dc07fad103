/** Where a session's finalized record lives in the RECORDINGS bucket. */
export function recordKey(tenant: string, sessionId: string): string {
  return `records/${tenant}/${sessionId}.json`;
}

/** Writes the record unless one exists: a retried finalization never replaces the first record. */
export async function writeRecordOnce(bucket: R2Bucket, key: string, json: string): Promise<void> {
  if (await bucket.head(key)) return;
  await bucket.put(key, json, { httpMetadata: { contentType: "application/json" } });
}
