// The star as it was at an op-log seq (a cookie): entity snapshots, OrgTree edges and attachments.
// Seqs order every write exactly, even many in one millisecond, so diffs between cookies are exact.
import type { EntitySnapshot } from '@lumenize/protocol'
import { SNAPSHOT_COLUMNS, type SnapshotRow, toSnapshot } from './snapshots'

const edgeAt = (alias: string, seq: number): string =>
  `${alias}.from_seq <= ${seq} AND (${alias}.to_seq IS NULL OR ${alias}.to_seq > ${seq})`

export class StateAt {
  private readonly ancestorCache = new Map<string, Set<string>>()

  constructor(private readonly sql: SqlStorage) {}

  /** The live snapshot of an entity at a seq; undefined if absent or deleted then. */
  entity(id: string, seq: number): EntitySnapshot | undefined {
    const row = this.sql
      .exec<SnapshotRow>(
        `SELECT ${SNAPSHOT_COLUMNS} FROM snapshots WHERE id = ? AND seq <= ? ORDER BY version DESC LIMIT 1`,
        id,
        seq,
      )
      .toArray()[0]
    return row && row.deleted === 0 ? toSnapshot(row) : undefined
  }

  /** Every node above `id` at a seq (memoized for one diff). */
  ancestors(id: string, seq: number): Set<string> {
    const key = `${id}@${seq}`
    let set = this.ancestorCache.get(key)
    if (!set) {
      const rows = this.sql
        .exec<{ id: string }>(
          `WITH RECURSIVE up(id) AS (
             SELECT ? UNION SELECT e.parent FROM org_edges e JOIN up ON e.child = up.id WHERE ${edgeAt('e', seq)})
           SELECT id FROM up`,
          id,
        )
        .toArray()
      set = new Set(rows.map((r) => r.id))
      set.delete(id)
      this.ancestorCache.set(key, set)
    }
    return set
  }

  /** `id` and every node below it at a seq. */
  subtree(id: string, seq: number): string[] {
    return this.sql
      .exec<{ id: string }>(
        `WITH RECURSIVE sub(id) AS (
           SELECT ? UNION SELECT e.child FROM org_edges e JOIN sub ON e.parent = sub.id WHERE ${edgeAt('e', seq)})
         SELECT id FROM sub`,
        id,
      )
      .toArray()
      .map((r) => r.id)
  }

  /** Entities attached to any of `nodes` at a seq. */
  attachedTo(nodes: readonly string[], seq: number): string[] {
    if (nodes.length === 0) return []
    return this.sql
      .exec<{ from_id: string }>(
        `SELECT DISTINCT l.from_id FROM links l WHERE l.attach = 1 AND ${edgeAt('l', seq)}
         AND l.to_id IN (SELECT value FROM json_each(?))`,
        JSON.stringify(nodes),
      )
      .toArray()
      .map((r) => r.from_id)
  }

  /** OrgTree edges opened or closed by writes in (from, to]. */
  changedEdges(from: number, to: number): Array<{ parent: string; child: string }> {
    return this.sql
      .exec<{ parent: string; child: string }>(
        `SELECT parent, child FROM org_edges WHERE (from_seq > ? AND from_seq <= ?) OR (to_seq > ? AND to_seq <= ?)`,
        from,
        to,
        from,
        to,
      )
      .toArray()
      .map((r) => ({ parent: r.parent, child: r.child }))
  }

  /** Entities written in (from, to], from the op-log. */
  changedEntities(from: number, to: number): string[] {
    return this.sql
      .exec<{ entity_id: string }>(
        'SELECT DISTINCT entity_id FROM op_log WHERE seq > ? AND seq <= ?',
        from,
        to,
      )
      .toArray()
      .map((r) => r.entity_id)
  }
}
