import type { SessionEvent } from "../../sdk/protocol.ts";

const FRAGMENTS_SQL = `CREATE TABLE IF NOT EXISTS fragments (
  seq INTEGER PRIMARY KEY,
  body_hash TEXT NOT NULL,
  events TEXT NOT NULL,
  received_at INTEGER NOT NULL
)`;

// A fragment's events beyond its first row (rows must stay under the platform's 2 MB limit).
const OVERFLOW_SQL = `CREATE TABLE IF NOT EXISTS fragment_overflow (
  seq INTEGER NOT NULL,
  part INTEGER NOT NULL,
  events TEXT NOT NULL,
  PRIMARY KEY (seq, part)
)`;

/** Most bytes of event JSON in one row; one event is always far smaller (text fields are capped at 64 K characters). */
const ROW_JSON_BYTES = 512 * 1024;

/** Most missing seqs an ack lists; the rest are implied by ackedThrough. */
const MISSING_LIST_CAP = 1000;

export interface StoredFragment {
  seq: number;
  events: SessionEvent[];
}

/** Fragments of one session keyed by seq, in the DO's SQLite storage. */
export class FragmentStore {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(FRAGMENTS_SQL);
    sql.exec(OVERFLOW_SQL);
  }

  hashOf(seq: number): string | undefined {
    return this.sql.exec<{ body_hash: string }>("SELECT body_hash FROM fragments WHERE seq = ?", seq).toArray()[0]?.body_hash;
  }

  /** Stores a fragment's events in rows of at most ROW_JSON_BYTES of JSON each. */
  insert(seq: number, bodyHash: string, events: SessionEvent[], receivedAt: number): void {
    const rows = splitRows(events);
    this.sql.exec("INSERT INTO fragments (seq, body_hash, events, received_at) VALUES (?, ?, ?, ?)", seq, bodyHash, rows[0] ?? "[]", receivedAt);
    for (let part = 1; part < rows.length; part++) {
      this.sql.exec("INSERT INTO fragment_overflow (seq, part, events) VALUES (?, ?, ?)", seq, part, rows[part]!);
    }
  }

  has(seq: number): boolean {
    return this.sql.exec("SELECT 1 FROM fragments WHERE seq = ?", seq).toArray().length > 0;
  }

  /** Advances a contiguous watermark over the stored seqs. */
  advance(ackedThrough: number): number {
    let next = ackedThrough;
    while (this.has(next + 1)) next++;
    return next;
  }

  /** Seqs in (ackedThrough, upTo] that have not arrived. */
  missing(ackedThrough: number, upTo: number): number[] {
    if (upTo <= ackedThrough) return [];
    const present = new Set(
      this.sql
        .exec<{ seq: number }>("SELECT seq FROM fragments WHERE seq > ? AND seq <= ?", ackedThrough, upTo)
        .toArray()
        .map((r) => r.seq),
    );
    const out: number[] = [];
    for (let seq = ackedThrough + 1; seq <= upTo && out.length < MISSING_LIST_CAP; seq++) {
      if (!present.has(seq)) out.push(seq);
    }
    return out;
  }

  all(): StoredFragment[] {
    const overflow = new Map<number, SessionEvent[]>();
    for (const row of this.sql.exec<{ seq: number; events: string }>("SELECT seq, events FROM fragment_overflow ORDER BY seq, part")) {
      const list = overflow.get(row.seq);
      const events = JSON.parse(row.events) as SessionEvent[];
      if (list) list.push(...events);
      else overflow.set(row.seq, events);
    }
    return this.sql
      .exec<{ seq: number; events: string }>("SELECT seq, events FROM fragments ORDER BY seq")
      .toArray()
      .map((row) => ({ seq: row.seq, events: [...(JSON.parse(row.events) as SessionEvent[]), ...(overflow.get(row.seq) ?? [])] }));
  }

  deleteAll(): void {
    this.sql.exec("DELETE FROM fragments");
    this.sql.exec("DELETE FROM fragment_overflow");
  }
}

const encoder = new TextEncoder();

/** Events as JSON arrays of at most ROW_JSON_BYTES each (a single larger event gets a row of its own). */
function splitRows(events: SessionEvent[]): string[] {
  const rows: string[] = [];
  let current: string[] = [];
  let bytes = 2;
  for (const event of events) {
    const json = JSON.stringify(event);
    const size = encoder.encode(json).byteLength + 1;
    if (current.length > 0 && bytes + size > ROW_JSON_BYTES) {
      rows.push(`[${current.join(",")}]`);
      current = [];
      bytes = 2;
    }
    current.push(json);
    bytes += size;
  }
  if (current.length > 0 || rows.length === 0) rows.push(`[${current.join(",")}]`);
  return rows;
}
