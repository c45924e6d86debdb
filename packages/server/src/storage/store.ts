// The store of one star: temporal entities, the OrgTree and the op-log on the DO's SQLite.
// Every write goes through `transact`, one SQLite transaction that commits all or nothing.
import {
  type Change,
  END_OF_TIME,
  type EntitySnapshot,
  ErrorKind,
  type Filter,
  ORG_NODE_TYPE,
  type WriteOp,
} from '@lumenize/protocol'
import type { LumenizeConfig } from '../config'
import { LumenizeError, notFound } from '../errors'
import { compileWhere } from '../query/compile-sql'
import { indexHint } from '../query/index-hint'
import { Links } from './links'
import { OrgTree } from './orgtree'
import { SNAPSHOT_COLUMNS, type SnapshotRow, Snapshots, snapshotJson, toSnapshot, validAt } from './snapshots'
import { TypeRegistry } from './type-registry'
import { type CommittedChange, WriteBatch, type WriteContext } from './write-batch'

/** The pieces a write batch works with. */
export interface StoreParts {
  sql: SqlStorage
  snapshots: Snapshots
  types: TypeRegistry
  links: Links
  orgTree: OrgTree
  rootId: () => string
}

export interface QueryOptions {
  type?: string
  /** Several types (a shape's type set); combined with `type` when both are given. */
  types?: readonly string[]
  where?: Filter
  /** Only entities attached to this OrgTree node or below it (and the OrgNodes of that subtree). */
  under?: string
  asOf?: number
  limit?: number
  offset?: number
  orderBy?: ReadonlyArray<{ field: string; direction?: 'asc' | 'desc' }>
}

export interface QueryResult {
  entities: EntitySnapshot[]
  hasMore: boolean
}

export const DEFAULT_LIMIT = 1000
export const MAX_LIMIT = 10_000
const META_ORDER: Record<string, string> = {
  $id: 's.id',
  $type: 's.type',
  $version: 's.version',
  $validFrom: 's.valid_from',
}
const ORDER_FIELD_RE = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/

/** The result of a committed transaction. */
export interface TransactResult {
  snapshots: EntitySnapshot[]
  changes: CommittedChange[]
}

export class Store {
  private readonly parts: StoreParts
  private lastTime: number

  /** Called after every committed transaction (the sync engine schedules pokes from it). */
  onCommit: ((result: TransactResult) => void) | undefined

  constructor(
    private readonly storage: DurableObjectStorage,
    config: LumenizeConfig,
  ) {
    const sql = storage.sql
    const snapshots = new Snapshots(sql)
    this.parts = {
      sql,
      snapshots,
      types: new TypeRegistry(config, sql),
      links: new Links(sql, snapshots),
      orgTree: new OrgTree(sql),
      rootId: () => this.rootId(),
    }
    this.parts.types.ensureIndexes()
    this.lastTime = sql.exec<{ t: number }>('SELECT coalesce(max(at), 0) AS t FROM op_log').one().t
    this.ensureRoot()
  }

  get types(): TypeRegistry {
    return this.parts.types
  }

  get orgTree(): OrgTree {
    return this.parts.orgTree
  }

  /**
   * The op-log's latest seq: the star's sync cookie. Read from the AUTOINCREMENT counter, not from
   * max(seq), so that trimming the whole op-log does not send the cookie back to 0.
   */
  seq(): number {
    return this.parts.sql
      .exec<{ seq: number }>(
        "SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'op_log'), 0) AS seq",
      )
      .one().seq
  }

  /** Applies the ops atomically: every op commits, or none does and the error says why. */
  transact(ops: readonly WriteOp[], ctx: WriteContext = {}): TransactResult {
    const result = this.storage.transactionSync(() => {
      const batch = new WriteBatch(this.parts, this.tick(), ctx)
      const snapshots = ops.map((op) => batch.apply(op))
      batch.finish()
      return { snapshots, changes: batch.changes }
    })
    this.onCommit?.(result)
    return result
  }

  /**
   * Runs `fn` against a write batch inside one SQLite transaction (for mutators). `extra` runs in
   * the same transaction after the batch is checked, e.g. to advance a client's watermark.
   */
  runInTransaction(ctx: WriteContext, fn: (batch: WriteBatch) => void, extra: () => void): TransactResult {
    const result = this.storage.transactionSync(() => {
      const batch = new WriteBatch(this.parts, this.tick(), ctx)
      fn(batch)
      batch.finish()
      extra()
      return { snapshots: batch.changes.map((c) => c.after), changes: batch.changes }
    })
    if (result.changes.length > 0) this.onCommit?.(result)
    return result
  }

  /**
   * Runs several write batches (one per mutation, each checked on its own) in ONE SQLite
   * transaction; `extra` runs last, in the same transaction. Throws, committing nothing, if any fails.
   */
  runMany(
    items: ReadonlyArray<{ ctx: WriteContext; fn: (batch: WriteBatch) => void }>,
    extra: () => void,
  ): TransactResult {
    const result = this.storage.transactionSync(() => {
      const now = this.tick()
      const changes: CommittedChange[] = []
      for (const { ctx, fn } of items) {
        const batch = new WriteBatch(this.parts, now, ctx)
        fn(batch)
        batch.finish()
        changes.push(...batch.changes)
      }
      extra()
      return { snapshots: changes.map((c) => c.after), changes }
    })
    if (result.changes.length > 0) this.onCommit?.(result)
    return result
  }

  /** The SQL handle, for modules that keep their own tables (sync sessions). */
  get sql(): SqlStorage {
    return this.parts.sql
  }

  get(id: string, asOf?: number): EntitySnapshot | null {
    return this.parts.snapshots.get(id, asOf) ?? null
  }

  history(id: string, from = 0, to = END_OF_TIME): EntitySnapshot[] {
    if (!this.parts.snapshots.exists(id)) throw notFound(id)
    return this.parts.snapshots.history(id, from, to)
  }

  query(options: QueryOptions): QueryResult {
    const limit = Math.min(options.limit ?? DEFAULT_LIMIT, MAX_LIMIT)
    const rows = this.select(options, limit + 1, options.offset ?? 0).toArray()
    const hasMore = rows.length > limit
    return { entities: rows.slice(0, limit).map(toSnapshot), hasMore }
  }

  /** Every current entity matching a shape's parts, streamed from SQLite (for seeds). */
  *scan(options: Pick<QueryOptions, 'types' | 'where' | 'under'>): Generator<EntitySnapshot> {
    for (const row of this.select(options, -1, 0)) yield toSnapshot(row)
  }

  /** Like `scan`, but each row as the JSON of its EntitySnapshot, spliced from the stored text. */
  *scanJson(options: Pick<QueryOptions, 'types' | 'where' | 'under'>): Generator<string> {
    for (const row of this.select(options, -1, 0)) yield snapshotJson(row)
  }

  /** SQLite's plan for a query (for tests that check indexes are used). */
  explain(options: QueryOptions): string[] {
    const { sql, params } = this.selectSql(options, DEFAULT_LIMIT, 0)
    return this.parts.sql
      .exec<{ detail: string }>(`EXPLAIN QUERY PLAN ${sql}`, ...params)
      .toArray()
      .map((r) => r.detail)
  }

  private select(options: QueryOptions, limit: number, offset: number): SqlStorageCursor<SnapshotRow> {
    const { sql, params } = this.selectSql(options, limit, offset)
    return this.parts.sql.exec<SnapshotRow>(sql, ...params)
  }

  private selectSql(
    options: QueryOptions,
    limit: number,
    offset: number,
  ): { sql: string; params: Array<string | number | null> } {
    const { where, under, asOf } = options
    const types = options.type !== undefined ? [options.type, ...(options.types ?? [])] : options.types
    const params: Array<string | number | null> = []
    // Every entity that ever existed has exactly one current row (live or tombstone), and its type
    // never changes. As of an instant, walk those rows and seek each entity's version at that
    // instant, instead of scanning every historical row of the type.
    const from =
      asOf === undefined
        ? 'snapshots s'
        : `snapshots c JOIN snapshots s ON s.id = c.id AND s.valid_to > ${asOf} AND s.valid_from =
            (SELECT max(x.valid_from) FROM snapshots x WHERE x.id = c.id AND x.valid_from <= ${asOf})`
    const cur = asOf === undefined ? 's' : 'c'
    const conditions = [`${cur}.valid_to = ${END_OF_TIME}`, 's.deleted = 0']
    let cte = ''
    if (types !== undefined) {
      for (const t of types) this.parts.types.get(t)
      // Types are declared names (letters, digits, _), inlined so partial indexes apply.
      conditions.push(
        types.length === 1
          ? `${cur}.type = '${types[0]}'`
          : `${cur}.type IN (${types.map((t) => `'${t}'`).join(', ')})`,
      )
    }
    if (under !== undefined) {
      const node = this.get(under, asOf)
      if (!node || node.type !== ORG_NODE_TYPE) throw notFound(under)
      cte = OrgTree.subtreeCte(asOf)
      params.push(under)
      conditions.push(
        `(s.id IN (SELECT id FROM sub) OR s.id IN (SELECT l.from_id FROM links l
          WHERE l.attach = 1 AND ${validAt('l', asOf)} AND l.to_id IN (SELECT id FROM sub)))`,
      )
    }
    if (where !== undefined && asOf === undefined && types?.length === 1) {
      const t = this.parts.types.get(types[0]!)
      const hint = indexHint(types[0]!, [...(t.indexes ?? []), ...(t.unique ?? [])], where)
      if (hint) {
        conditions.push(hint.sql)
        params.push(...hint.params)
      }
    }
    if (where !== undefined) {
      const compiled = compileWhere(where, 's.value')
      conditions.push(`(${compiled.sql})`)
      params.push(...compiled.params)
    }
    const order = (options.orderBy ?? []).map(({ field, direction }) => {
      const column =
        META_ORDER[field] ?? (ORDER_FIELD_RE.test(field) ? `json_extract(s.value, '$.${field}')` : undefined)
      if (!column) {
        throw new LumenizeError(
          ErrorKind.validation,
          `Cannot order by "${field}": use a dotted field or $id, $validFrom`,
          {
            field,
          },
        )
      }
      return `${column} ${direction === 'desc' ? 'DESC' : 'ASC'}`
    })
    // As of an instant, order by the current row's id: the same value, already in index order, so
    // SQLite stops at the limit instead of joining and sorting every entity of the type first.
    order.push(`${cur}.id ASC`)
    return {
      sql: `${cte} SELECT ${SNAPSHOT_COLUMNS.replace(/(\w+)/g, 's.$1')} FROM ${from} WHERE ${conditions.join(' AND ')}
       ORDER BY ${order.join(', ')} LIMIT ${limit} OFFSET ${offset}`,
      params,
    }
  }

  /** Every committed change with `from <= at < to`, in commit order. */
  changes(from: number, to = END_OF_TIME, limit = DEFAULT_LIMIT): { changes: Change[]; hasMore: boolean } {
    const rows = this.parts.sql
      .exec<SnapshotRow & { seq: number; op: Change['op'] }>(
        `SELECT ${SNAPSHOT_COLUMNS}, seq, op FROM snapshots WHERE valid_from >= ? AND valid_from < ?
         ORDER BY seq LIMIT ?`,
        from,
        to,
        Math.min(limit, MAX_LIMIT) + 1,
      )
      .toArray()
    const hasMore = rows.length > limit
    return {
      changes: rows
        .slice(0, limit)
        .map((r) => ({ seq: r.seq, op: r.op, at: r.valid_from, entity: toSnapshot(r) })),
      hasMore,
    }
  }

  rootId(): string {
    const row = this.parts.sql
      .exec<{ value: string }>("SELECT value FROM meta WHERE key = 'root_id'")
      .toArray()[0]
    if (!row) throw new Error('The star has no OrgTree root yet')
    return row.value
  }

  /** Ids of OrgNodes (as snapshots) above or below a node. */
  ancestors(id: string, asOf?: number): EntitySnapshot[] {
    this.requireNode(id, asOf)
    return this.nodes(this.parts.orgTree.ancestorIds(id, asOf), asOf)
  }

  descendants(id: string, asOf?: number): EntitySnapshot[] {
    this.requireNode(id, asOf)
    return this.nodes(this.parts.orgTree.descendantIds(id, asOf), asOf)
  }

  /** The whole OrgTree as of an instant: its nodes and parent -> child edges. */
  tree(asOf?: number): {
    root: string
    nodes: EntitySnapshot[]
    edges: Array<{ parent: string; child: string }>
  } {
    const nodes = this.query({
      type: ORG_NODE_TYPE,
      limit: MAX_LIMIT,
      ...(asOf === undefined ? {} : { asOf }),
    })
    const edges = this.parts.sql
      .exec<{ parent: string; child: string }>(
        `SELECT parent, child FROM org_edges e WHERE ${validAt('e', asOf)}`,
      )
      .toArray()
      .map((e) => ({ parent: e.parent, child: e.child }))
    return { root: this.rootId(), nodes: nodes.entities, edges }
  }

  private requireNode(id: string, asOf?: number): void {
    const node = this.get(id, asOf)
    if (!node || node.type !== ORG_NODE_TYPE) throw notFound(id)
  }

  private nodes(ids: string[], asOf?: number): EntitySnapshot[] {
    return ids
      .map((id) => this.parts.snapshots.get(id, asOf))
      .filter((s): s is EntitySnapshot => s !== undefined)
      .sort((a, b) => (a.id < b.id ? -1 : 1))
  }

  /** Star time: epoch ms, never going backwards even if the clock does. */
  private tick(): number {
    this.lastTime = Math.max(Date.now(), this.lastTime)
    return this.lastTime
  }

  private ensureRoot(): void {
    if (this.parts.sql.exec("SELECT 1 FROM meta WHERE key = 'root_id'").toArray().length > 0) return
    const id = crypto.randomUUID()
    this.storage.transactionSync(() => {
      this.parts.sql.exec("INSERT INTO meta (key, value) VALUES ('root_id', ?)", id)
      const batch = new WriteBatch(this.parts, this.tick(), {})
      batch.apply({
        op: 'upsert',
        id,
        type: ORG_NODE_TYPE,
        value: { slug: 'root', name: 'Root', children: {} },
      })
      batch.finish()
    })
  }
}
