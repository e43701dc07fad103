/**
 * A close seen on one side, repeated on the other. 1005 (no code) and 1006 (connection lost) cannot be
 * sent in a close frame: the first becomes a plain close, the second 1011 with a reason that says so.
 */
export function closeOther(other: WebSocket, code: number, reason: string): void {
  try {
    if (code === 1005) other.close();
    else if (code === 1006 || code === 1015) other.close(1011, reason || "the other side's connection was lost");
    else other.close(validCode(code) ? code : 1011, truncateReason(reason));
  } catch {
    // already closed or closing
  }
}

/** Codes an endpoint may send: 1000-1003, 1007-1014, 3000-4999. */
function validCode(code: number): boolean {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

/** A close reason is at most 123 bytes of UTF-8. */
function truncateReason(reason: string): string {
  const bytes = new TextEncoder().encode(reason);
  if (bytes.length <= 123) return reason;
  return new TextDecoder().decode(bytes.subarray(0, 123)).replace(/\uFFFD$/, "");
}
