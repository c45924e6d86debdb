// Row-level access to entity snapshots: reading current, as-of and historical versions.
import { type Change, END_OF_TIME, type EntitySnapshot, type JsonObject } from '@lumenize/protocol'

/** A snapshot row as SQLite returns it. */
export interface SnapshotRow {
  id: string
  version: number
  type: string
  value: string
  valid_from: number
  valid_to: number
  deleted: number
  client_id: string | null
  mutation_id: number | null
  [key: string]: SqlStorageValue
}

export const SNAPSHOT_COLUMNS =
  'id, version, type, value, valid_from, valid_to, deleted, client_id, mutation_id'

export function toSnapshot(row: SnapshotRow): EntitySnapshot {
  return {
    id: row.id,
    type: row.type,
    value: JSON.parse(row.value) as JsonObject,
    version: row.version,
    validFrom: row.valid_from,
    validTo: row.valid_to,
    deleted: row.deleted === 1,
    clientId: row.client_id,
    mutationId: row.mutation_id,
  }
}

/**
 * The JSON of a row's EntitySnapshot, built around the stored value text (already JSON written by
 * JSON.stringify) so that seeds never parse and re-serialize values. Same keys and order as
 * `toSnapshot` gives; ids are UUIDs and types identifiers, so only clientId needs escaping.
 */
export function snapshotJson(row: SnapshotRow): string {
  return `{"id":"${row.id}","type":"${row.type}","value":${row.value},"version":${row.version},"validFrom":${
    row.valid_from
  },"validTo":${row.valid_to},"deleted":${row.deleted === 1},"clientId":${
    row.client_id === null ? 'null' : JSON.stringify(row.client_id)
  },"mutationId":${row.mutation_id ?? 'null'}}`
}

/** The SQL condition "valid at" for a table alias: current state, or as of an instant. */
export function validAt(alias: string, asOf: number | undefined): string {
  if (asOf === undefined) return `${alias}.valid_to = ${END_OF_TIME}`
  // asOf is a validated safe integer, so inlining it keeps statements under the bound-parameter limit.
  return `${alias}.valid_from <= ${asOf} AND ${alias}.valid_to > ${asOf}`
}

export class Snapshots {
  constructor(private readonly sql: SqlStorage) {}

  /** The latest snapshot of an entity, a tombstone included; undefined if it never existed. */
  latest(id: string): EntitySnapshot | undefined {
    const row = this.sql
      .exec<SnapshotRow>(
        `SELECT ${SNAPSHOT_COLUMNS} FROM snapshots WHERE id = ? AND valid_to = ${END_OF_TIME}`,
        id,
      )
      .toArray()[0]
    return row ? toSnapshot(row) : undefined
  }

  /** The live (non-deleted) snapshot at an instant, or now. */
  get(id: string, asOf?: number): EntitySnapshot | undefined {
    const row = this.sql
      .exec<SnapshotRow>(
        `SELECT ${SNAPSHOT_COLUMNS} FROM snapshots s WHERE s.id = ? AND ${validAt('s', asOf)} AND s.deleted = 0`,
        id,
      )
      .toArray()[0]
    return row ? toSnapshot(row) : undefined
  }

  /** Every snapshot of an entity overlapping [from, to), oldest first. */
  history(id: string, from: number, to: number): EntitySnapshot[] {
    return this.sql
      .exec<SnapshotRow>(
        `SELECT ${SNAPSHOT_COLUMNS} FROM snapshots WHERE id = ? AND valid_to > ? AND valid_from < ? ORDER BY version`,
        id,
        from,
        to,
      )
      .toArray()
      .map(toSnapshot)
  }

  /** Up to `limit` snapshots written with `from <= validFrom < to`, as changes in commit order. */
  committedBetween(from: number, to: number, limit: number): Change[] {
    return this.sql
      .exec<SnapshotRow & { seq: number; op: Change['op'] }>(
        `SELECT ${SNAPSHOT_COLUMNS}, seq, op FROM snapshots WHERE valid_from >= ? AND valid_from < ?
         ORDER BY seq LIMIT ?`,
        from,
        to,
        limit,
      )
      .toArray()
      .map((r) => ({ seq: r.seq, op: r.op, at: r.valid_from, entity: toSnapshot(r) }))
  }

  exists(id: string): boolean {
    return this.sql.exec('SELECT 1 FROM snapshots WHERE id = ? LIMIT 1', id).toArray().length > 0
  }
}
