import type { SessionEvent } from "../../sdk/protocol.ts";
import type { SessionMeta } from "./meta.ts";
import { hasTable, LazyTables } from "./tables.ts";

// event_count and event_bytes (the fragment's events and their JSON bytes as received) let the session's
// counts be recounted from the rows, so a fragment writes its own row and not the meta row too.
const FRAGMENTS_SQL = `CREATE TABLE IF NOT EXISTS fragments (
  seq INTEGER PRIMARY KEY,
  body_hash TEXT NOT NULL,
  events TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  event_count INTEGER,
  event_bytes INTEGER
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

/**
 * Fragments of one session keyed by seq, in the DO's SQLite storage. The tables are created on first use
 * (creating one is billed as rows written) and dropped whole once the record holds the events.
 */
export class FragmentStore {
  #ready = false;
  /**
   * The seqs stored, read from the rows on first use: a new fragment then costs its INSERT alone (a stored
   * seq's hash is read only for a repeat). Rebuilt from the rows after an eviction; `forget()` after a wipe.
   */
  #seqs: Set<number> | undefined;
  readonly #table: LazyTables;

  constructor(private readonly sql: SqlStorage) {
    this.#table = new LazyTables(sql, "fragments", [FRAGMENTS_SQL]);
  }

  #stored(): Set<number> {
    if (this.#seqs) return this.#seqs;
    const seqs = new Set<number>();
    if (this.#table.exists()) {
      for (const row of this.#tables().exec<{ seq: number }>("SELECT seq FROM fragments")) seqs.add(row.seq);
    }
    this.#seqs = seqs;
    return seqs;
  }

  /** After the tables were dropped behind the store's back (a wipe): read the rows again on next use. */
  forget(): void {
    this.#seqs = undefined;
    this.#ready = false;
  }

  #tables(): SqlStorage {
    if (this.#ready) return this.sql;
    const existed = this.#table.exists();
    this.#table.ensure();
    // A table created before the count columns existed gets them (its older rows are counted from their JSON).
    if (existed) {
      const columns = this.sql.exec("SELECT * FROM fragments LIMIT 0").columnNames;
      for (const column of ["event_count", "event_bytes"]) {
        if (!columns.includes(column)) this.sql.exec(`ALTER TABLE fragments ADD COLUMN ${column} INTEGER`);
      }
    }
    this.#ready = true;
    return this.sql;
  }

  /**
   * The meta as of its last save, brought up to date from the rows: while a session is open or closing a
   * fragment writes only its own row, so the rows are the truth for what fragments were received. Never
   * lowers a count (rows are only removed once the session is past closing).
   */
  recount(meta: SessionMeta | undefined): SessionMeta | undefined {
    if (meta?.state !== "open" && meta?.state !== "closing") return meta;
    if (!this.#table.exists()) return meta;
    const tally = this.#tables()
      .exec<{ n: number; max_seq: number | null; events: number | null; bytes: number | null }>(
        "SELECT count(*) AS n, max(seq) AS max_seq, sum(coalesce(event_count, json_array_length(events))) AS events, sum(coalesce(event_bytes, length(events))) AS bytes FROM fragments",
      )
      .one();
    return {
      ...meta,
      fragmentCount: Math.max(meta.fragmentCount, tally.n),
      maxSeq: Math.max(meta.maxSeq, tally.max_seq ?? -1),
      eventCount: Math.max(meta.eventCount, tally.events ?? 0),
      eventBytes: Math.max(meta.eventBytes ?? 0, tally.bytes ?? 0),
      ackedThrough: this.advance(meta.ackedThrough),
    };
  }

  hashOf(seq: number): string | undefined {
    if (!this.#stored().has(seq)) return undefined;
    return this.#tables().exec<{ body_hash: string }>("SELECT body_hash FROM fragments WHERE seq = ?", seq).toArray()[0]
      ?.body_hash;
  }

  /**
   * Stores a fragment's events in rows of at most ROW_JSON_BYTES of JSON each, with the count and bytes
   * the session's caps were checked against (the events as stored, after redaction).
   */
  insert(seq: number, bodyHash: string, json: EventRows, receivedAt: number, eventCount: number): void {
    const { rows } = json;
    const stored = this.#stored();
    this.#tables().exec(
      "INSERT INTO fragments (seq, body_hash, events, received_at, event_count, event_bytes) VALUES (?, ?, ?, ?, ?, ?)",
      seq,
      bodyHash,
      rows[0] ?? "[]",
      receivedAt,
      eventCount,
      json.bytes,
    );
    // The overflow table exists only once a fragment needed it (creating a table is billed as rows written).
    if (rows.length > 1) this.sql.exec(OVERFLOW_SQL);
    for (let part = 1; part < rows.length; part++) {
      this.sql.exec("INSERT INTO fragment_overflow (seq, part, events) VALUES (?, ?, ?)", seq, part, rows[part]!);
    }
    stored.add(seq);
  }

  has(seq: number): boolean {
    return this.#stored().has(seq);
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
    const present = this.#stored();
    const out: number[] = [];
    for (let seq = ackedThrough + 1; seq <= upTo && out.length < MISSING_LIST_CAP; seq++) {
      if (!present.has(seq)) out.push(seq);
    }
    return out;
  }

  all(): StoredFragment[] {
    if (!this.#table.exists()) return [];
    const overflow = new Map<number, SessionEvent[]>();
    const sql = this.#tables();
    const hasOverflow = hasTable(this.sql, "fragment_overflow");
    for (const row of hasOverflow
      ? sql.exec<{ seq: number; events: string }>("SELECT seq, events FROM fragment_overflow ORDER BY seq, part")
      : []) {
      const list = overflow.get(row.seq);
      const events = JSON.parse(row.events) as SessionEvent[];
      if (list) list.push(...events);
      else overflow.set(row.seq, events);
    }
    return this.sql
      .exec<{ seq: number; events: string }>("SELECT seq, events FROM fragments ORDER BY seq")
      .toArray()
      .map((row) => ({
        seq: row.seq,
        events: [...(JSON.parse(row.events) as SessionEvent[]), ...(overflow.get(row.seq) ?? [])],
      }));
  }

  /** Drops both tables: a DROP is not billed per row, where a DELETE writes one row per fragment. */
  deleteAll(): void {
    this.#table.drop();
    this.sql.exec("DROP TABLE IF EXISTS fragment_overflow");
    this.#ready = false;
    this.#seqs = new Set();
  }
}

const encoder = new TextEncoder();

/** A fragment's events as stored: JSON arrays of at most ROW_JSON_BYTES each, and the bytes of `JSON.stringify(events)`. */
export interface EventRows {
  rows: string[];
  bytes: number;
}

/**
 * Encodes events once, for both the session's caps and storage: JSON arrays of at most ROW_JSON_BYTES each
 * (a single larger event gets a row of its own).
 */
export function eventRows(events: SessionEvent[]): EventRows {
  const rows: string[] = [];
  let current: string[] = [];
  let bytes = 2;
  let total = events.length > 0 ? 1 : 2;
  for (const event of events) {
    const json = JSON.stringify(event);
    const size = encoder.encode(json).byteLength + 1;
    total += size;
    if (current.length > 0 && bytes + size > ROW_JSON_BYTES) {
      rows.push(`[${current.join(",")}]`);
      current = [];
      bytes = 2;
    }
    current.push(json);
    bytes += size;
  }
  if (current.length > 0 || rows.length === 0) rows.push(`[${current.join(",")}]`);
  return { rows, bytes: total };
}
