/** Tables that are bookkeeping, not captured content: kept by a wipe. */
const KEPT_TABLES = new Set(["session_meta"]);

/**
 * Deletes every row of every table but the meta row, every key-value entry, and the alarm: what abort
 * and discard leave behind is a tombstone. Tables are found by name, so a new table is wiped without
 * anyone remembering to add it here.
 */
export async function wipeCapturedTables(storage: DurableObjectStorage): Promise<void> {
  const sql = storage.sql;
  const tables = sql
    .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'")
    .toArray()
    .map((row) => row.name)
    .filter((name) => !KEPT_TABLES.has(name));
  for (const name of tables) sql.exec(`DELETE FROM "${name.replaceAll('"', '""')}"`);
  const keys = [...(await storage.list()).keys()];
  for (let i = 0; i < keys.length; i += 128) await storage.delete(keys.slice(i, i + 128));
  await storage.deleteAlarm();
}
