/**
 * Whether the Durable Object's database has this table. Reading sqlite_master is billed as rows read,
 * never written, where creating a table writes rows: a session creates a table when it first writes to it.
 */
export function hasTable(sql: SqlStorage, name: string): boolean {
  return sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", name).toArray().length > 0;
}
