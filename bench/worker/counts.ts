/** What the counting build (counting.ts) reports: plain data, shared with the Node-side bench. */

export interface ObjectStorageSample {
  /** The DO's SQLite size (`sql.databaseSize`) after its last write. */
  current: number;
  peak: number;
}

export interface Counts {
  workerRequests: number;
  /** RPC calls (and fetches) on Durable Object stubs, by class binding and method. */
  doRequests: number;
  doRequestsByMethod: Record<string, number>;
  /** Alarm invocations: billed as Durable Object requests. */
  doAlarms: number;
  /** Wall time while an object handled requests (union of overlapping calls per object), ms. */
  doActiveMs: number;
  sqlStatements: number;
  rowsRead: number;
  rowsWritten: number;
  /** Rows written by statement (the first words of its SQL), to see where they come from. */
  rowsWrittenBySql: Record<string, number>;
  /** setAlarm() calls: each is billed as one row written (already included in rowsWritten). */
  alarmsSet: number;
  alarmsDeleted: number;
  /** Key-value storage API calls (get/put/delete/list): billed as rows; included in rowsRead/rowsWritten. */
  kvCalls: number;
  r2ClassA: number;
  r2ClassB: number;
  /** DeleteObject and AbortMultipartUpload: free. */
  r2Free: number;
  r2ByOperation: Record<string, number>;
  r2BytesWritten: number;
  /** SQLite size per Durable Object (by binding and id). */
  objectStorage: Record<string, ObjectStorageSample>;
}
