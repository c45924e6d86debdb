// A subscribed shape as a TanStack DB collection: hydrated from the cache, then fed by the server's
// seed and pokes (begin/write/commit at pokeEnd, truncate on re-seed); edits become mutations.
import {
  builtInShapeSpec,
  type CompiledShape,
  checkShapeSpec,
  compileShape,
  type EntitySnapshot,
  isBuiltInShape,
  type JsonObject,
  type PokePart,
  type Replica,
  replicaSubtreeView,
  rowInShape,
  type SubtreeView,
  shapeKey,
} from '@lumenize/protocol'
import {
  BasicIndex,
  type Collection,
  createCollection,
  type PendingMutation,
  type SyncConfig,
} from '@tanstack/db'
import { ShapeCache } from '../cache/shape-cache'
import type { ClientStore } from '../cache/store'
import { CacheWriteError, ClientErrorKind, LumenizeClientError } from '../errors'
import { type EntityInput, type EntityRow, type EntitySchema, entitySchema } from '../rows'
import type { EntityCollection, ShapeUtils, WritableShape } from './types'

/** The collection as the client builds it (its schema turns inputs into rows). */
type InternalCollection = Collection<EntityRow, string, ShapeUtils, EntitySchema<JsonObject>, EntityInput>

/** Options of `client.shape`. */
export interface ShapeOptions {
  /**
   * Whether a row written optimistically (by `client.mutate` or a replayed mutation) belongs in this
   * collection. Built in for `entities` and `orgTree`; for custom shapes, without it only rows already
   * in the collection are updated optimistically, and new ones arrive with the server's poke.
   */
  match?: (row: EntityRow) => boolean | undefined
}

/** What a shape needs from its client. */
export interface ShapeHost {
  readonly instanceId: string
  clientId(): string | null
  /** The store, once the client has opened it. */
  store(): Promise<ClientStore>
  /** Whether this client writes the shared cache (one writer per cache database). */
  cacheWriter(): boolean
  /** Whether shapes start from the cache (through a hub, the hub seeds them from its own copy). */
  readsCache(): boolean
  /** Hydrated: subscribe when connected, and show pending mutations on top. */
  hydrated(shape: ShapeSubscription): void
  /** Cleaned up: unsubscribe and forget. */
  detached(shape: ShapeSubscription): void
  /** Edits made through the collection: push them and wait for the confirmation. */
  push(mutations: ReadonlyArray<PendingMutation<EntityRow>>): Promise<void>
  release(shape: ShapeSubscription): void
  reportError(error: LumenizeClientError): void
}

type SyncParams = Parameters<SyncConfig<EntityRow, string>['sync']>[0]

let subCounter = 0

/** The key of a (name, params) pair; equal params give equal keys (the server keys shapes the same way). */
export const shapeKeyOf = shapeKey

export class ShapeSubscription implements WritableShape {
  readonly key: string
  readonly subId = `s${++subCounter}`
  readonly cache: ShapeCache
  readonly collection: EntityCollection<JsonObject>
  private readonly internal: InternalCollection
  /** Acquisitions through `client.shape`. */
  refs = 1
  /** Settles once the cache was read (rows shown, or nothing stored). */
  readonly whenHydrated: Promise<void>
  private markHydrated!: () => void
  private api: SyncParams | undefined
  private phase: 'hydrating' | 'hydrated' | 'ready' | 'stopped' = 'hydrating'
  private readonly match: ((row: EntityRow) => boolean | undefined) | undefined

  constructor(
    private readonly host: ShapeHost,
    readonly name: string,
    readonly params: Record<string, unknown>,
    /** Pending mutations queued at or before this sequence number are replayed into this collection. */
    readonly bornAtSeq: number,
    options: ShapeOptions & { rowsPerChunk?: number } = {},
  ) {
    this.key = shapeKeyOf(name, params)
    this.whenHydrated = new Promise((resolve) => {
      this.markHydrated = resolve
    })
    this.cache = new ShapeCache(this.key, name, params, options.rowsPerChunk)
    this.match = options.match ?? builtInMatcher(name, params, this)
    const push = ({
      transaction,
    }: {
      transaction: { mutations: ReadonlyArray<PendingMutation<EntityRow>> }
    }) => host.push(transaction.mutations)
    this.internal = createCollection({
      id: `${host.instanceId}:${this.key}`,
      getKey: (row: EntityRow) => row.id,
      schema: entitySchema<JsonObject>(() => host.clientId()),
      startSync: true,
      // Lifetime is explicit (refs and release), never a timer.
      gcTime: 0,
      // Joins and where-clauses get indexes on first use.
      autoIndex: 'eager',
      defaultIndexType: BasicIndex,
      sync: {
        rowUpdateMode: 'full',
        sync: (api) => {
          this.api = api as unknown as SyncParams
          this.hydrate().catch((err: unknown) => {
            // A broken cache must not keep the client from starting: go on as if it were empty.
            this.host.reportError(new CacheWriteError(err))
            this.hydrated()
          })
          return { cleanup: () => this.dispose() }
        },
      },
      onInsert: push,
      onUpdate: push,
      onDelete: push,
      utils: {
        release: () => host.release(this),
        cookie: () => this.cache.cookie,
      } satisfies ShapeUtils,
    })
    this.collection = this.internal as unknown as EntityCollection<JsonObject>
  }

  belongs(row: EntityRow, present: boolean): boolean | undefined {
    if (!this.match) return present ? undefined : false
    return this.match(row)
  }

  /** Applies one poke's parts for this subscription as one sync transaction. */
  applyParts(parts: readonly PokePart[]): void {
    try {
      this.applyPartsNow(parts)
    } catch (err) {
      // Should not happen; if it does, ask for a full re-seed on the next subscribe.
      this.cache.cookie = undefined
      this.host.reportError(
        new LumenizeClientError(ClientErrorKind.applyFailed, 'Applying a poke failed', {}, err),
      )
    }
  }

  /** Released or closed: no more pokes, saves or subscriptions. */
  private get stopped(): boolean {
    return this.phase === 'stopped'
  }

  /** The cache was read: its rows (if any) are shown, and the shape may subscribe. */
  get isHydrated(): boolean {
    return this.phase === 'hydrated' || this.phase === 'ready'
  }

  /** The op-log seq the rows are current at (undefined: never seeded). */
  cookie(): number | undefined {
    return this.cache.cookie
  }

  private applyPartsNow(parts: readonly PokePart[]): void {
    const api = this.api
    if (!api || this.stopped) return
    api.begin()
    let truncated = false
    for (const part of parts) {
      if (part.truncate) {
        api.truncate()
        this.cache.clear()
        truncated = true
      }
      for (const row of part.puts) {
        api.write({ type: this.cache.has(row.id) ? 'update' : 'insert', value: row as EntityRow })
        this.cache.put(row as EntitySnapshot)
      }
      for (const id of part.dels) {
        if (!this.cache.has(id)) continue
        api.write({ type: 'delete', key: id })
        this.cache.delete(id)
      }
    }
    // Never await a commit: while an optimistic write persists, it is held until that write settles.
    void api.commit()
    if (this.phase !== 'ready') {
      this.phase = 'ready'
      if (!truncated) api.markReady()
    }
  }

  /** Moves the cookie and, from the cache writer, writes what changed (chunks and cookie, atomically). */
  committed(cookie: number, store: ClientStore | undefined): Promise<void> {
    this.cache.setCookie(cookie)
    if (!store || this.stopped) return Promise.resolve()
    return this.cache.save(store, this.host.cacheWriter())
  }

  /** This client became the cache writer: the stored copy is rewritten from this one. */
  takeOverCache(store: ClientStore): Promise<void> {
    if (this.phase !== 'ready') return Promise.resolve()
    this.cache.markAllDirty()
    return this.cache.save(store, true)
  }

  /** A subscribe refused by the server (unknown shape, invalid params). */
  failed(error: LumenizeClientError): void {
    this.host.reportError(error)
    if (this.phase !== 'ready') this.api?.markError(error)
  }

  /**
   * The client is offline and this shape has nothing cached: it is shown empty (ready), so that an
   * app can render and write; `status.lastSyncedAt` says it never synced. The server's seed fills it.
   */
  showEmptyOffline(): void {
    if (this.phase !== 'hydrated' || !this.api) return
    this.phase = 'ready'
    this.api.markReady()
  }

  private async hydrate(): Promise<void> {
    const store = await this.host.store()
    if (this.stopped) return
    const found = this.host.readsCache() ? await this.cache.load(store) : false
    const api = this.api
    if (this.stopped || !api) return this.markHydrated()
    if (found && this.cache.cookie !== undefined) {
      api.begin()
      for (const row of this.cache.rows.values()) api.write({ type: 'insert', value: row as EntityRow })
      void api.commit()
      this.phase = 'ready'
      api.markReady()
    }
    this.hydrated()
  }

  private hydrated(): void {
    if (this.phase === 'hydrating') this.phase = 'hydrated'
    this.markHydrated()
    this.host.hydrated(this)
  }

  /** The client closed: no more pokes, saves or subscriptions for this collection. */
  stop(): void {
    this.phase = 'stopped'
    this.markHydrated()
  }

  private dispose(): void {
    if (this.stopped) return
    this.phase = 'stopped'
    this.markHydrated()
    this.host.detached(this)
  }
}

/**
 * Who belongs in a built-in shape, as far as this client can tell: the protocol's membership rule,
 * with the OrgTree as this shape's replica knows it (undefined where it cannot tell). Params the
 * server will refuse give no matcher.
 */
function builtInMatcher(
  name: string,
  params: Record<string, unknown>,
  shape: { collection: Replica },
): ((row: EntityRow) => boolean | undefined) | undefined {
  if (!isBuiltInShape(name)) return undefined
  let compiled: CompiledShape
  try {
    compiled = compileShape(checkShapeSpec(builtInShapeSpec(name, params)))
  } catch {
    return undefined
  }
  const under = compiled.spec.under
  // The collection is read when a row is tested (the matcher is made before the collection).
  const replica: Replica = { get: (id) => shape.collection.get(id), values: () => shape.collection.values() }
  const view = under === undefined ? undefined : replicaSubtreeView(under, replica)
  const everywhere: SubtreeView = { isUnder: () => true, attachments: () => [] }
  return (row) => rowInShape(compiled, row, view ?? everywhere)
}
