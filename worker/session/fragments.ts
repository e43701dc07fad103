import type { SessionEvent } from "../../sdk/protocol.ts";

const FRAGMENTS_SQL = `CREATE TABLE IF NOT EXISTS fragments (
  seq INTEGER PRIMARY KEY,
  body_hash TEXT NOT NULL,
  events TEXT NOT NULL,
  received_at INTEGER NOT NULL
)`;

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
  }

  hashOf(seq: number): string | undefined {
    return this.sql.exec<{ body_hash: string }>("SELECT body_hash FROM fragments WHERE seq = ?", seq).toArray()[0]?.body_hash;
  }

  insert(seq: number, bodyHash: string, events: SessionEvent[], receivedAt: number): void {
    this.sql.exec(
      "INSERT INTO fragments (seq, body_hash, events, received_at) VALUES (?, ?, ?, ?)",
      seq,
      bodyHash,
      JSON.stringify(events),
      receivedAt,
    );
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
    return this.sql
      .exec<{ seq: number; events: string }>("SELECT seq, events FROM fragments ORDER BY seq")
      .toArray()
      .map((row) => ({ seq: row.seq, events: JSON.parse(row.events) as SessionEvent[] }));
  }

  deleteAll(): void {
    this.sql.exec("DELETE FROM fragments");
  }
}
