// The storage of one star: temporal entities, the OrgTree, the op-log and the sync engine's rows on
// the DO's SQLite. Every write goes through `transaction`, one SQLite transaction, all or nothing;
// listeners registered with `onCommit` hear of each committed one. No other module runs SQL.
import { type Change, END_OF_TIME, type EntitySnapshot, ORG_NODE_TYPE } from '@lumenize/protocol'
import type { LumenizeConfig } from '../config'
import { notFound } from '../errors'
import { Links } from './links'
import { META, Meta } from './meta'
import { OpLog } from './op-log'
import { OrgTree } from './orgtree'
import { DEFAULT_LIMIT, MAX_LIMIT, type QueryOptions, selectSql } from './query'
import { type SnapshotRow, Snapshots, snapshotJson, toSnapshot } from './snapshots'
import { StateAt } from './state-at'
import { Subscriptions, Watermarks } from './sync-state'
import { TypeRegistry } from './type-registry'
import { type BatchParts, type CommittedChange, WriteBatch, type WriteContext } from './write-batch'

export { DEFAULT_LIMIT, MAX_LIMIT, type QueryOptions }

export interface QueryResult {
  entities: EntitySnapshot[]
  hasMore: boolean
}

/** What a transaction's function may do besides its own reads: write batches, all at one instant. */
export interface StoreTransaction {
  /**
   * Runs `fn` against a new write batch and checks the batch's invariants (OrgTree, references,
   * unique fields) when it returns. Several batches of one transaction are checked one by one.
   */
  write<T>(ctx: WriteContext, fn: (batch: WriteBatch) => T): T
}

/** Hears of every committed transaction that wrote something, after it committed. */
export type CommitListener = (changes: readonly CommittedChange[]) => void

export class Store {
  readonly opLog: OpLog
  readonly meta: Meta
  readonly watermarks: Watermarks
  readonly subscriptions: Subscriptions
  private readonly parts: BatchParts
  private readonly listeners = new Set<CommitListener>()
  private lastTime: number

  constructor(
    private readonly storage: DurableObjectStorage,
    config: LumenizeConfig,
  ) {
    const sql = storage.sql
    const snapshots = new Snapshots(sql)
    this.opLog = new OpLog(sql)
    this.meta = new Meta(sql)
    this.watermarks = new Watermarks(sql)
    this.subscriptions = new Subscriptions(sql)
    this.parts = {
      sql,
      snapshots,
      types: new TypeRegistry(config, sql),
      links: new Links(sql, snapshots),
      orgTree: new OrgTree(sql),
      opLog: this.opLog,
      rootId: () => this.rootId(),
    }
    this.parts.types.ensureIndexes()
    this.lastTime = this.opLog.lastAt()
    this.ensureRoot()
  }

  get types(): TypeRegistry {
    return this.parts.types
  }

  /** The star's sync cookie: the op-log's latest seq. */
  seq(): number {
    return this.opLog.seq()
  }

  /** The star at past cookies, for one membership diff (it memoizes what it reads). */
  stateAt(): StateAt {
    return new StateAt(this.parts.sql)
  }

  /** Registers a listener of commits; returns a function that removes it. */
  onCommit(listener: CommitListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /**
   * Runs `fn` in one SQLite transaction: everything it writes (batches, watermarks, meta values)
   * commits together, or nothing does if it throws. Its batches share one instant.
   *
   * @example store.transaction((tx) => tx.write({}, (batch) => batch.apply({ op: 'delete', id })))
   */
  transaction<T>(fn: (tx: StoreTransaction) => T): T {
    const now = this.tick()
    const changes: CommittedChange[] = []
    const result = this.storage.transactionSync(() =>
      fn({
        write: (ctx, write) => {
          const batch = new WriteBatch(this.parts, now, ctx)
          const out = write(batch)
          batch.finish()
          changes.push(...batch.changes)
          return out
        },
      }),
    )
    if (changes.length > 0) for (const listener of this.listeners) listener(changes)
    return result
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

  private selectSql(options: QueryOptions, limit: number, offset: number) {
    for (const t of [...(options.type === undefined ? [] : [options.type]), ...(options.types ?? [])])
      this.parts.types.get(t)
    if (options.under !== undefined) this.requireNode(options.under, options.asOf)
    return selectSql(options, limit, offset, (type) => {
      const t = this.parts.types.get(type)
      return [...(t.indexes ?? []), ...(t.unique ?? [])]
    })
  }

  /** Every committed change with `from <= at < to`, in commit order. */
  changes(from: number, to = END_OF_TIME, limit = DEFAULT_LIMIT): { changes: Change[]; hasMore: boolean } {
    const rows = this.parts.snapshots.committedBetween(from, to, Math.min(limit, MAX_LIMIT) + 1)
    const hasMore = rows.length > limit
    return { changes: rows.slice(0, limit), hasMore }
  }

  rootId(): string {
    const root = this.meta.get(META.rootId)
    if (root === undefined) throw new Error('The star has no OrgTree root yet')
    return root
  }

  /** OrgNodes (as snapshots, by id) above a node, up to the root. */
  ancestors(id: string, asOf?: number): EntitySnapshot[] {
    this.requireNode(id, asOf)
    return this.nodes(this.parts.orgTree.ancestorIds(id, asOf), asOf)
  }

  /** OrgNodes (as snapshots, by id) below a node, each once. */
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
    return { root: this.rootId(), nodes: nodes.entities, edges: this.parts.orgTree.edges(asOf) }
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
    if (this.meta.get(META.rootId) !== undefined) return
    const id = crypto.randomUUID()
    this.transaction((tx) => {
      this.meta.set(META.rootId, id)
      tx.write({}, (batch) =>
        batch.apply({
          op: 'upsert',
          id,
          type: ORG_NODE_TYPE,
          value: { slug: 'root', name: 'Root', children: {} },
        }),
      )
    })
  }
}
