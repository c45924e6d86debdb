// The op-log: one row per committed write, in commit order. Its seq is the sync cookie; storage
// appends to it in the write's transaction, and sync reads ranges of it and trims it.

export interface OpLogEntry {
  entityId: string
  op: 'upsert' | 'patch' | 'delete'
  version: number
  at: number
  clientId: string | null
  mutationId: number | null
}

export class OpLog {
  constructor(private readonly sql: SqlStorage) {}

  /**
   * The latest seq: the star's sync cookie. Read from the AUTOINCREMENT counter, not from max(seq),
   * so that trimming the whole op-log does not send the cookie back to 0.
   */
  seq(): number {
    return this.sql
      .exec<{ seq: number }>(
        "SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'op_log'), 0) AS seq",
      )
      .one().seq
  }

  /** Appends an entry (inside the write's transaction) and returns its seq. */
  append(e: OpLogEntry): number {
    return this.sql
      .exec<{ seq: number }>(
        'INSERT INTO op_log (entity_id, op, version, at, client_id, mutation_id) VALUES (?, ?, ?, ?, ?, ?) RETURNING seq',
        e.entityId,
        e.op,
        e.version,
        e.at,
        e.clientId,
        e.mutationId,
      )
      .one().seq
  }

  /** The time of the latest entry (0 for none): star time never goes back past it. */
  lastAt(): number {
    return this.sql.exec<{ t: number }>('SELECT coalesce(max(at), 0) AS t FROM op_log').one().t
  }

  /** The latest seq written before an instant, if any entry is that old. */
  lastSeqBefore(at: number): number | undefined {
    return (
      this.sql.exec<{ s: number | null }>('SELECT max(seq) AS s FROM op_log WHERE at < ?', at).one().s ??
      undefined
    )
  }

  /** When the first entry after a seq was written, if there is one. */
  firstAtAfter(seq: number): number | undefined {
    return this.sql
      .exec<{ at: number }>('SELECT at FROM op_log WHERE seq > ? ORDER BY seq LIMIT 1', seq)
      .toArray()[0]?.at
  }

  /** Drops every entry up to and including `seq`. */
  trimThrough(seq: number): void {
    this.sql.exec('DELETE FROM op_log WHERE seq <= ?', seq)
  }
}
