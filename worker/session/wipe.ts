import { forgetTables } from "./tables.ts";
/** Tables that are bookkeeping, not captured content: kept by a wipe. */
const KEPT_TABLES = new Set(["session_meta"]);

/** Every table the Durable Object created (not SQLite's or the platform's own). */
export function userTables(sql: SqlStorage): string[] {
  return sql
    .exec<{ name: string }>(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
    )
    .toArray()
    .map((row) => row.name);
}

/**
 * Drops every table but those in `keep` (the meta row's by default), deletes every key-value entry and the
 * alarm: what abort, discard and erasure leave behind is a tombstone. Tables are found by name, so a new
 * table is wiped without anyone remembering to add it here. Dropped, not emptied: `DELETE` is billed a row
 * written per row (a discarded 5-minute call's fragments and audio rows), `DROP TABLE` none; the stores
 * create a table again with its next row (tables.ts).
 */
export async function wipeCapturedTables(
  storage: DurableObjectStorage,
  keep: ReadonlySet<string> = KEPT_TABLES,
): Promise<void> {
  const sql = storage.sql;
  for (const name of userTables(sql)) if (!keep.has(name)) sql.exec(`DROP TABLE "${name.replaceAll('"', '""')}"`);
  forgetTables(sql);
  const keys = [...(await storage.list()).keys()];
  for (let i = 0; i < keys.length; i += 128) await storage.delete(keys.slice(i, i + 128));
  await storage.deleteAlarm();
}
