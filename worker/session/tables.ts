/**
 * Whether the Durable Object's database has this table. Reading sqlite_master is billed as rows read,
 * never written, where creating a table writes rows: a session creates a table when it first writes to it.
 */
export function hasTable(sql: SqlStorage, name: string): boolean {
  return sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", name).toArray().length > 0;
}

/**
 * Tables a store creates with its first write: until then reads see no rows, and a session that is only
 * looked at, or refused, writes nothing (creating a table is rows written, and pages synced, per session).
 * Whether they exist is looked up once per instance; a store that drops them says so with `dropped()`.
 */
export class LazyTables {
  #exists: boolean | undefined;

  constructor(
    private readonly sql: SqlStorage,
    /** The table whose presence stands for all of them (they are created together). */
    private readonly probe: string,
    private readonly schema: readonly string[],
  ) {}

  exists(): boolean {
    this.#exists ??= hasTable(this.sql, this.probe);
    return this.#exists;
  }

  /** The database, with the tables created if they were not. */
  ensure(): SqlStorage {
    if (!this.exists()) {
      for (const statement of this.schema) this.sql.exec(statement);
      this.#exists = true;
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
