/**
 * Whether the Durable Object's database has this table. Reading sqlite_master is billed as rows read,
 * never written, where creating a table writes rows: a session creates a table when it first writes to it.
 */
export function hasTable(sql: SqlStorage, name: string): boolean {
  return sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", name).toArray().length > 0;
}

/**
 * Which lazily created tables exist, per database: shared by every store of one object, so a wipe that drops
 * tables (wipe.ts) makes every store look again, including one with work still in flight.
 */
const known = new WeakMap<SqlStorage, Map<string, boolean>>();

function knownOf(sql: SqlStorage): Map<string, boolean> {
  let tables = known.get(sql);
  if (!tables) known.set(sql, (tables = new Map()));
  return tables;
}

/** After tables were dropped behind the stores' backs: whether they exist is read again on next use. */
export function forgetTables(sql: SqlStorage): void {
  known.delete(sql);
}

/**
 * Tables a store creates with its first write: until then reads see no rows, and a session that is only
 * looked at, or refused, writes nothing (creating a table is rows written, and pages synced, per session).
 * Whether they exist is looked up once (per object, see `known`).
 */
export class LazyTables {
  readonly #names: string[];

  constructor(
    private readonly sql: SqlStorage,
    /** The table whose presence stands for all of them (they are created together). */
    private readonly probe: string,
    private readonly schema: readonly string[],
  ) {
    this.#names = schema.flatMap((statement) => /^CREATE TABLE IF NOT EXISTS (\w+)/.exec(statement)?.[1] ?? []);
  }

  exists(): boolean {
    const tables = knownOf(this.sql);
    let exists = tables.get(this.probe);
    if (exists === undefined) tables.set(this.probe, (exists = hasTable(this.sql, this.probe)));
    return exists;
  }

  /**
   * Drops the tables: unlike `DELETE`, which is billed a row written per row deleted, `DROP TABLE` is billed
   * none (measured in workerd), and the next write creates them again.
   */
  drop(): void {
    if (!this.exists()) return;
    for (const name of this.#names) this.sql.exec(`DROP TABLE IF EXISTS ${name}`);
    knownOf(this.sql).set(this.probe, false);
  }

  /** The database, with the tables created if they were not. */
  ensure(): SqlStorage {
    if (!this.exists()) {
      for (const statement of this.schema) this.sql.exec(statement);
      knownOf(this.sql).set(this.probe, true);
    }
    return this.sql;
  }

  /** The database when the tables exist, for a change that has nothing to change otherwise (a delete). */
  existing(): SqlStorage | undefined {
    return this.exists() ? this.sql : undefined;
  }

  /** The rows of a read, or none while the tables do not exist. */
  rows<T extends Record<string, SqlStorageValue>>(query: string, ...bindings: unknown[]): T[] {
    return this.exists() ? this.sql.exec<T>(query, ...bindings).toArray() : [];
  }
}
