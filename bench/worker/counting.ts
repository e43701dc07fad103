/**
 * Counting wrappers for a bench/test build of the Worker: they sit around the real bindings and the
 * real Durable Object storage, so every figure comes from the code paths that run in production.
 * What is counted is what Cloudflare bills (see bench/cost/prices.ts): Worker requests, Durable Object
 * requests (each RPC call on a stub, each alarm invocation), SQLite rows read and written as the
 * cursor reports them (plus one row written per setAlarm()), R2 class A and class B operations, and
 * Durable Object wall time while a request is being handled.
 */

import type { Counts } from "./counts.ts";

function emptyCounts(): Counts {
  return {
    workerRequests: 0,
    doRequests: 0,
    doRequestsByMethod: {},
    doAlarms: 0,
    doActiveMs: 0,
    sqlStatements: 0,
    rowsRead: 0,
    rowsWritten: 0,
    rowsWrittenBySql: {},
    alarmsSet: 0,
    alarmsDeleted: 0,
    kvCalls: 0,
    r2ClassA: 0,
    r2ClassB: 0,
    r2Free: 0,
    r2ByOperation: {},
    r2BytesWritten: 0,
    objectStorage: {},
  };
}

/** One set of counters per isolate: the Worker and its Durable Objects share the isolate locally. */
let counts = emptyCounts();
/** Per object: the end of the last counted active interval (for the union of overlapping calls). */
let activeUntil = new Map<string, number>();

export function snapshotCounts(): Counts {
  return structuredClone(counts);
}

export function resetCounts(): void {
  counts = emptyCounts();
  activeUntil = new Map();
}

const bump = (map: Record<string, number>, key: string, by = 1) => {
  map[key] = (map[key] ?? 0) + by;
};

export function countWorkerRequest(): void {
  counts.workerRequests++;
}

/** Adds [start, end] of one request on `object` to its active time, not counting overlap twice. */
export function countActive(object: string, start: number, end: number): void {
  const from = Math.max(start, activeUntil.get(object) ?? 0);
  if (end > from) counts.doActiveMs += end - from;
  activeUntil.set(object, Math.max(end, activeUntil.get(object) ?? 0));
}

export function countAlarm(): void {
  counts.doAlarms++;
}

/** Calls a method of a native object with itself as `this` (workerd's objects require it). */
function bound<T extends object>(target: T, property: string | symbol): unknown {
  const value = Reflect.get(target, property, target);
  return typeof value === "function" ? value.bind(target) : value;
}

// ---------- Durable Object side: ctx.storage ----------

function statementKey(query: string): string {
  return query.replace(/\s+/g, " ").trim().split(" ").slice(0, 4).join(" ");
}

/** A SQL cursor whose rows read/written are added to the counters as it is consumed. */
function countingCursor<T extends Record<string, SqlStorageValue>>(
  cursor: SqlStorageCursor<T>,
  query: string,
): SqlStorageCursor<T> {
  let seenRead = 0;
  let seenWritten = 0;
  const key = statementKey(query);
  const sync = () => {
    const read = cursor.rowsRead;
    const written = cursor.rowsWritten;
    counts.rowsRead += read - seenRead;
    counts.rowsWritten += written - seenWritten;
    if (written > seenWritten) bump(counts.rowsWrittenBySql, key, written - seenWritten);
    seenRead = read;
    seenWritten = written;
  };
  sync();
  const proxy: SqlStorageCursor<T> = new Proxy(cursor, {
    get(target, property) {
      const value = Reflect.get(target, property, target);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        try {
          const result = value.apply(target, args);
          return result === target ? proxy : result;
        } finally {
          sync();
        }
      };
    },
  });
  return proxy;
}

function countingSql(sql: SqlStorage, object: string): SqlStorage {
  const sample = () => {
    const size = sql.databaseSize;
    const s = (counts.objectStorage[object] ??= { current: 0, peak: 0 });
    s.current = size;
    s.peak = Math.max(s.peak, size);
  };
  return new Proxy(sql, {
    get(target, property) {
      if (property === "exec") {
        return (query: string, ...bindings: unknown[]) => {
          counts.sqlStatements++;
          const writtenBefore = counts.rowsWritten;
          const cursor = countingCursor(target.exec(query, ...bindings), query);
          if (counts.rowsWritten > writtenBefore) sample();
          return cursor;
        };
      }
      return bound(target, property);
    },
  });
}

function countingStorage(storage: DurableObjectStorage, object: string): DurableObjectStorage {
  const sql = countingSql(storage.sql, object);
  return new Proxy(storage, {
    get(target, property) {
      switch (property) {
        case "sql":
          return sql;
        case "setAlarm":
          return (...args: Parameters<DurableObjectStorage["setAlarm"]>) => {
            counts.alarmsSet++;
            counts.rowsWritten++;
            bump(counts.rowsWrittenBySql, "setAlarm()");
            return target.setAlarm(...args);
          };
        case "deleteAlarm":
          return (...args: Parameters<DurableObjectStorage["deleteAlarm"]>) => {
            counts.alarmsDeleted++;
            return target.deleteAlarm(...args);
          };
        case "get":
        case "list":
          return (...args: unknown[]) => {
            counts.kvCalls++;
            counts.rowsRead += Array.isArray(args[0]) ? args[0].length : 1;
            return (Reflect.get(target, property, target) as (...a: unknown[]) => unknown).apply(target, args);
          };
        case "put":
        case "delete":
          return (...args: unknown[]) => {
            counts.kvCalls++;
            const first = args[0];
            const n = Array.isArray(first)
              ? first.length
              : typeof first === "object" && first !== null
                ? Object.keys(first).length
                : 1;
            counts.rowsWritten += n;
            bump(counts.rowsWrittenBySql, `kv ${String(property)}`, n);
            return (Reflect.get(target, property, target) as (...a: unknown[]) => unknown).apply(target, args);
          };
        default:
          return bound(target, property);
      }
    },
  });
}

/**
 * Puts counting storage on the DO's own ctx (an own `storage` property over the prototype's getter):
 * the runtime only accepts its real DurableObjectState in the DurableObject constructor.
 */
export function countingState(ctx: DurableObjectState, binding: string): DurableObjectState {
  const object = `${binding}:${ctx.id.toString()}`;
  Object.defineProperty(ctx, "storage", { value: countingStorage(ctx.storage, object), configurable: true });
  return ctx;
}

// ---------- Worker side: bindings ----------

function bodyBytes(body: unknown): number {
  if (typeof body === "string") return new TextEncoder().encode(body).byteLength;
  if (body instanceof ArrayBuffer) return body.byteLength;
  if (ArrayBuffer.isView(body)) return body.byteLength;
  if (body instanceof Blob) return body.size;
  return 0;
}

const R2_CLASS: Record<string, "A" | "B" | "free"> = {
  put: "A",
  list: "A",
  createMultipartUpload: "A",
  uploadPart: "A",
  complete: "A",
  get: "B",
  head: "B",
  delete: "free",
  abort: "free",
};

function countR2(operation: string, body?: unknown): void {
  const cls = R2_CLASS[operation];
  if (cls === "A") counts.r2ClassA++;
  else if (cls === "B") counts.r2ClassB++;
  else if (cls === "free") counts.r2Free++;
  bump(counts.r2ByOperation, operation);
  if (body !== undefined) counts.r2BytesWritten += bodyBytes(body);
}

function countingUpload(upload: R2MultipartUpload): R2MultipartUpload {
  return new Proxy(upload, {
    get(target, property) {
      if (property === "uploadPart" || property === "complete" || property === "abort") {
        return (...args: unknown[]) => {
          countR2(property, property === "uploadPart" ? args[1] : undefined);
          return (Reflect.get(target, property, target) as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      return bound(target, property);
    },
  });
}

export function countingBucket(bucket: R2Bucket): R2Bucket {
  return new Proxy(bucket, {
    get(target, property) {
      const name = String(property);
      if (name === "resumeMultipartUpload") {
        return (key: string, uploadId: string) => countingUpload(target.resumeMultipartUpload(key, uploadId));
      }
      if (name === "createMultipartUpload") {
        return async (...args: Parameters<R2Bucket["createMultipartUpload"]>) => {
          countR2(name);
          return countingUpload(await target.createMultipartUpload(...args));
        };
      }
      if (name in R2_CLASS) {
        return (...args: unknown[]) => {
          countR2(name, name === "put" ? args[1] : undefined);
          return (Reflect.get(target, property, target) as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      return bound(target, property);
    },
  });
}

function countingStub<T extends object>(stub: T, binding: string, object: string): T {
  return new Proxy(stub, {
    get(target, property) {
      const value = Reflect.get(target, property, target);
      if (typeof property === "symbol" || property === "then" || typeof value !== "function") return value;
      return (...args: unknown[]) => {
        counts.doRequests++;
        bump(counts.doRequestsByMethod, `${binding}.${property}`);
        const start = Date.now();
        const done = () => countActive(object, start, Date.now());
        const result = Reflect.apply(value as (...a: unknown[]) => unknown, target, args);
        if (result && typeof (result as PromiseLike<unknown>).then === "function")
          (result as PromiseLike<unknown>).then(done, done);
        else done();
        return result;
      };
    },
  });
}

export function countingNamespace<T extends DurableObjectNamespace>(namespace: T, binding: string): T {
  return new Proxy(namespace, {
    get(target, property) {
      if (property === "get" || property === "getByName") {
        return (idOrName: DurableObjectId | string, ...rest: unknown[]) => {
          const stub = (Reflect.get(target, property, target) as (...a: unknown[]) => object).call(
            target,
            idOrName,
            ...rest,
          );
          const id = typeof idOrName === "string" ? target.idFromName(idOrName) : idOrName;
          return countingStub(stub, binding, `${binding}:${id.toString()}`);
        };
      }
      if (property === "jurisdiction") {
        return (j: DurableObjectJurisdiction) => countingNamespace(target.jurisdiction(j), binding);
      }
      return bound(target, property);
    },
  });
}

const wrapped = new WeakMap<object, object>();

/** The env with counting Durable Object namespaces and R2 bucket; the same proxy for the same env. */
export function countingEnv<E extends object>(env: E): E {
  const known = wrapped.get(env);
  if (known) return known as E;
  const replaced = new Map<string | symbol, unknown>();
  for (const [key, value] of Object.entries(env)) {
    if (isNamespace(value)) replaced.set(key, countingNamespace(value, key));
    else if (isBucket(value)) replaced.set(key, countingBucket(value));
  }
  const proxy = new Proxy(env, {
    get(target, property) {
      return replaced.has(property) ? replaced.get(property) : Reflect.get(target, property, target);
    },
  });
  wrapped.set(env, proxy);
  return proxy;
}

function isNamespace(value: unknown): value is DurableObjectNamespace {
  return (
    typeof value === "object" && value !== null && typeof (value as DurableObjectNamespace).idFromName === "function"
  );
}

function isBucket(value: unknown): value is R2Bucket {
  return typeof value === "object" && value !== null && typeof (value as R2Bucket).createMultipartUpload === "function";
}
