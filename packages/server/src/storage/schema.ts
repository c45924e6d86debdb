// The Star DO's SQLite schema, created and migrated in one place with a version table.

/** Each entry moves the schema from version i to i + 1. Never edit a released entry: append. */
const MIGRATIONS: readonly string[] = [
  // 1: metadata and the op-log (the seq is the sync cookie).
  `CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
   CREATE TABLE op_log (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     entity_id TEXT NOT NULL,
     op TEXT NOT NULL,
     version INTEGER NOT NULL,
     at INTEGER NOT NULL,
     client_id TEXT,
     mutation_id INTEGER
   );`,
]

/** The schema version this code writes. */
export const SCHEMA_VERSION = MIGRATIONS.length

/**
 * Brings the database up to SCHEMA_VERSION inside one transaction per step.
 * Safe to call on every start: a current database is left untouched.
 */
export function migrate(storage: DurableObjectStorage): number {
  const sql = storage.sql
  sql.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)')
  const row = sql.exec<{ version: number }>('SELECT version FROM schema_version').toArray()[0]
  let current = row?.version ?? 0
  if (!row) sql.exec('INSERT INTO schema_version (version) VALUES (0)')
  while (current < MIGRATIONS.length) {
    const step = MIGRATIONS[current]!
    const next = current + 1
    storage.transactionSync(() => {
      sql.exec(step)
      sql.exec('UPDATE schema_version SET version = ?', next)
    })
    current = next
  }
  return current
}
