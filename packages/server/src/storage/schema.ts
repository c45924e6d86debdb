// The Star DO's SQLite schema, created and migrated in one place with a version table.
import { END_OF_TIME } from '@lumenize/protocol'

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
  // 2: temporal entities, OrgTree edges and links (references and attachments), all valid-time.
  //    Edges and links also carry the op-log seqs that opened and closed them, so the exact state
  //    at any cookie can be rebuilt (writes in one millisecond are told apart by seq).
  `CREATE TABLE snapshots (
     id TEXT NOT NULL,
     version INTEGER NOT NULL,
     type TEXT NOT NULL,
     value TEXT NOT NULL,
     valid_from INTEGER NOT NULL,
     valid_to INTEGER NOT NULL,
     deleted INTEGER NOT NULL DEFAULT 0,
     op TEXT NOT NULL,
     seq INTEGER NOT NULL,
     client_id TEXT,
     mutation_id INTEGER,
     PRIMARY KEY (id, version)
   ) WITHOUT ROWID;
   CREATE UNIQUE INDEX snapshots_current ON snapshots (id) WHERE valid_to = ${END_OF_TIME};
   CREATE INDEX snapshots_current_type ON snapshots (type, id) WHERE valid_to = ${END_OF_TIME};
   CREATE INDEX snapshots_type_time ON snapshots (type, valid_from, valid_to);
   CREATE INDEX snapshots_id_time ON snapshots (id, valid_from);
   CREATE INDEX snapshots_seq ON snapshots (seq);
   CREATE INDEX snapshots_valid_from ON snapshots (valid_from);
   CREATE INDEX op_log_entity ON op_log (entity_id, version);
   CREATE TABLE org_edges (
     parent TEXT NOT NULL,
     child TEXT NOT NULL,
     valid_from INTEGER NOT NULL,
     valid_to INTEGER NOT NULL,
     from_seq INTEGER NOT NULL,
     to_seq INTEGER
   );
   CREATE INDEX org_edges_parent ON org_edges (parent, valid_to);
   CREATE INDEX org_edges_child ON org_edges (child, valid_to);
   CREATE TABLE links (
     from_id TEXT NOT NULL,
     to_id TEXT NOT NULL,
     field TEXT NOT NULL,
     attach INTEGER NOT NULL,
     valid_from INTEGER NOT NULL,
     valid_to INTEGER NOT NULL,
     from_seq INTEGER NOT NULL,
     to_seq INTEGER
   );
   CREATE INDEX links_to ON links (to_id, valid_to);
   CREATE INDEX links_from ON links (from_id, valid_to);
   CREATE INDEX org_edges_from_seq ON org_edges (from_seq);
   CREATE INDEX org_edges_to_seq ON org_edges (to_seq);`,
  // 3: sync: each client's watermark (last applied mutation id) and the subscriptions of each
  //    socket, so both survive hibernation.
  `CREATE TABLE clients (
     client_id TEXT PRIMARY KEY,
     client_group_id TEXT NOT NULL,
     last_mutation_id INTEGER NOT NULL,
     updated_at INTEGER NOT NULL
   );
   CREATE TABLE subscriptions (
     socket_id TEXT NOT NULL,
     sub_id TEXT NOT NULL,
     shape TEXT NOT NULL,
     params TEXT NOT NULL,
     shape_key TEXT NOT NULL,
     PRIMARY KEY (socket_id, sub_id)
   );
   CREATE INDEX subscriptions_key ON subscriptions (shape_key);`,
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
