// Local-only collections: the same rows, insert/update/delete and live queries as a synced shape,
// kept on this device only (optionally persisted in the client's IndexedDB, one record per row, so
// that tabs writing the same collection never overwrite each other's rows). No server involved.
import { END_OF_TIME, type JsonObject, validateSync } from '@lumenize/protocol'
import {
  BasicIndex,
  createCollection,
  type PendingMutation,
  type SyncConfig,
  type Transaction,
} from '@tanstack/db'
import type { ClientStore } from '../cache/store'
import { type EntityRow, entitySchema, stripVirtual } from '../rows'
import type { EntityCollection } from './types'

/** Helpers on a local collection (`collection.utils`). */
export type LocalUtils = {
  /**
   * Makes the edits of a manual transaction (`createTransaction`) to this collection permanent; call it
   * from the transaction's `mutationFn` (`client.push(transaction)` does it for you).
   */
  acceptMutations(transaction: Pick<Transaction, 'mutations'>): Promise<void>
  /** Drops the collection (its persisted rows stay for the next `client.local` of the same name). */
  release(): void
}

/** Options of `client.local`. */
export interface LocalOptions<V extends object = JsonObject> {
  /** Keep the rows in the client's IndexedDB (default true; memory when the client's persistence is). */
  persist?: boolean
  /** Rows to start with when nothing is persisted yet. */
  initialData?: ReadonlyArray<{ id?: string; type: string; value: V }>
}

type SyncParams = Parameters<SyncConfig<EntityRow, string>['sync']>[0]

export interface LocalHost {
  readonly instanceId: string
  clientId(): string | null
  store(): Promise<ClientStore>
  released(name: string): void
}

/** Creates a local-only collection; `client.local(name)` is the public way. */
export function createLocalCollection<V extends object>(
  host: LocalHost,
  name: string,
  options: LocalOptions<V> = {},
): EntityCollection<V, LocalUtils> {
  /** The rows as written (the collection's synced state). */
  const rows = new Map<string, EntityRow>()
  const persist = options.persist ?? true
  let api: SyncParams | undefined
  const schema = entitySchema<V>(() => host.clientId())

  /** Writes a transaction's edits of this collection as synced rows, then persists them. */
  const accept = async (mutations: ReadonlyArray<PendingMutation<EntityRow>>): Promise<void> => {
    const mine = mutations.filter((m) => m.collection === collection)
    if (mine.length === 0 || !api) return
    api.begin()
    const put: EntityRow[] = []
    const drop: string[] = []
    for (const m of mine) {
      const key = String(m.key)
      if (m.type === 'delete') {
        if (rows.has(key)) api.write({ type: 'delete', key })
        rows.delete(key)
        drop.push(key)
        continue
      }
      const prev = rows.get(key)
      const row: EntityRow = {
        ...stripVirtual(m.modified),
        version: (prev?.version ?? 0) + 1,
        validFrom: Date.now(),
        validTo: END_OF_TIME,
      }
      api.write({ type: prev ? 'update' : 'insert', value: row })
      rows.set(key, row)
      put.push(row)
    }
    // Held until the calling transaction settles; awaiting it here would deadlock.
    void api.commit()
    if (persist) await save(put, drop)
  }

  const save = async (put: EntityRow[], drop: string[]): Promise<void> => {
    const store = await host.store()
    await store.saveLocal(
      name,
      put.map((row) => ({ collection: name, id: row.id, row })),
      drop,
    )
  }

  const handler = ({
    transaction,
  }: {
    transaction: { mutations: ReadonlyArray<PendingMutation<EntityRow>> }
  }) => accept(transaction.mutations)

  const collection = createCollection({
    id: `${host.instanceId}:local:${name}`,
    getKey: (row: EntityRow) => row.id,
    schema: entitySchema<JsonObject>(() => host.clientId()),
    startSync: true,
    gcTime: 0,
    autoIndex: 'eager',
    defaultIndexType: BasicIndex,
    sync: {
      rowUpdateMode: 'full',
      sync: (params) => {
        api = params as unknown as SyncParams
        void hydrate(api)
      },
    },
    onInsert: handler,
    onUpdate: handler,
    onDelete: handler,
    utils: {
      acceptMutations: (transaction: Pick<Transaction, 'mutations'>) =>
        accept(transaction.mutations as unknown as ReadonlyArray<PendingMutation<EntityRow>>),
      release: () => {
        void collection.cleanup()
        host.released(name)
      },
    } satisfies LocalUtils,
  })

  async function hydrate(sync: SyncParams): Promise<void> {
    const stored = persist ? await (await host.store()).loadLocal(name) : []
    sync.begin()
    for (const { row } of stored) {
      rows.set(row.id, row as EntityRow)
      sync.write({ type: 'insert', value: row as EntityRow })
    }
    const seeded: EntityRow[] = []
    if (stored.length === 0) {
      for (const input of options.initialData ?? []) {
        const r = validateSync(schema, input, `local collection ${name}`)
        if (!r.ok) continue
        const row: EntityRow = { ...(r.value as EntityRow), version: 1 }
        rows.set(row.id, row)
        sync.write({ type: 'insert', value: row })
        seeded.push(row)
      }
    }
    void sync.commit()
    sync.markReady()
    if (persist && seeded.length > 0) await save(seeded, [])
  }

  return collection as unknown as EntityCollection<V, LocalUtils>
}
