// The client group's IndexedDB database: one per (star, cache name), versioned, opened with idb.
// Several live clients (tabs) share it; each writes only its own pending records and local rows.
import type { EntitySnapshot } from '@lumenize/protocol'
import { type DBSchema, type IDBPDatabase, type IDBPTransaction, openDB, type StoreNames } from 'idb'
import { CacheBlockedError, CacheUnavailableError } from '../errors'

/**
 * The version of the client's IndexedDB schema; bump it with a step in `upgrade`.
 *
 * History:
 *   1: meta, shapeChunks ([shapeKey, chunk]), pending (by id).
 *   2: + shapes (cookie and params per shape). v1 chunks had no cookie, so they are dropped (the
 *      shapes re-seed); pending mutations are kept.
 *   3: pending keyed [clientId, id] (every live client has its own id sequence; v2 records get the
 *      clientId v2 stored in meta, and are recovered like any closed client's); + localRows
 *      ([collection, id]: local-only collections row by row, so that tabs never overwrite each
 *      other's chunks); v2 `local:` chunks move there.
 */
export const CACHE_SCHEMA_VERSION = 3

/** A queued mutation of one client: `id` is per client, gapless. */
export interface PendingRecord {
  clientId: string
  id: number
  name: string
  args: unknown
  /** Epoch ms when it was made. */
  createdAt: number
}

/** One shape's replica: where it is (cookie) and how many chunks its rows fill. */
export interface ShapeRecord {
  shapeKey: string
  name: string
  params: Record<string, unknown>
  /** The op-log seq the stored rows are current at. */
  cookie?: number
  updatedAt: number
}

/** Up to a few hundred rows of one shape in one record: never one record per row. */
export interface ChunkRecord {
  shapeKey: string
  chunk: number
  rows: EntitySnapshot[]
}

/** One row of a local-only collection. */
export interface LocalRowRecord {
  collection: string
  id: string
  row: EntitySnapshot
}

/** What the cache stores. */
export interface LumenizeCacheSchema extends DBSchema {
  meta: { key: string; value: unknown }
  shapes: { key: string; value: ShapeRecord }
  shapeChunks: { key: [string, number]; value: ChunkRecord; indexes: { byShape: string } }
  pending: { key: [string, number]; value: PendingRecord; indexes: { byClient: string } }
  localRows: { key: [string, string]; value: LocalRowRecord; indexes: { byCollection: string } }
}

export type LumenizeCache = IDBPDatabase<LumenizeCacheSchema>

/** The database name of a star's cache. */
export const cacheName = (star: string, name: string): string => `lumenize:${star}:${name}`

type UpgradeTx = IDBPTransaction<LumenizeCacheSchema, StoreNames<LumenizeCacheSchema>[], 'versionchange'>

/**
 * Opens (creating or upgrading) the cache database of one star. `name` tells caches of one star apart
 * (the client passes its `clientGroupId`, or "default"). An upgrade that an older tab blocks is
 * reported to `onBlocked` (and goes on when that tab closes its database).
 *
 * @example const db = await openCache('acme.prod.main', 'default')
 */
export async function openCache(
  star: string,
  name: string,
  onBlocked?: (error: CacheBlockedError) => void,
): Promise<LumenizeCache> {
  if (typeof indexedDB === 'undefined') throw new CacheUnavailableError()
  try {
    return await openDB<LumenizeCacheSchema>(cacheName(star, name), CACHE_SCHEMA_VERSION, {
      async upgrade(db, oldVersion, _newVersion, tx) {
        if (oldVersion < 1) {
          db.createObjectStore('meta')
          const chunks = db.createObjectStore('shapeChunks', { keyPath: ['shapeKey', 'chunk'] })
          chunks.createIndex('byShape', 'shapeKey')
        }
        if (oldVersion < 2) {
          db.createObjectStore('shapes', { keyPath: 'shapeKey' })
          if (oldVersion >= 1) await tx.objectStore('shapeChunks').clear()
        }
        if (oldVersion < 3) await toV3(db, oldVersion, tx)
      },
      blocking(_current, _blocked, event) {
        // A newer version wants to open in another tab: step aside so it can upgrade.
        ;(event.target as IDBDatabase).close()
      },
      blocked() {
        // An older tab has not stepped aside (yet): say so instead of hanging in silence.
        onBlocked?.(new CacheBlockedError())
      },
    })
  } catch (err) {
    throw new CacheUnavailableError(err)
  }
}

/** v3: pending by [clientId, id], local collections row by row. */
async function toV3(db: LumenizeCache, oldVersion: number, tx: UpgradeTx): Promise<void> {
  // A v2 database has a `pending` store keyed by id; its rows belong to the one client v2 kept.
  const untyped = db as unknown as IDBPDatabase
  const oldPending: Array<{ id: number; name: string; args: unknown }> = []
  let oldClientId: string | undefined
  if (oldVersion >= 1) {
    const raw = tx as unknown as IDBPTransaction<unknown, string[], 'versionchange'>
    oldPending.push(...((await raw.objectStore('pending').getAll()) as typeof oldPending))
    oldClientId = (await tx.objectStore('meta').get('clientId')) as string | undefined
    untyped.deleteObjectStore('pending')
    await tx.objectStore('meta').delete('clientId')
    await tx.objectStore('meta').delete('lastMutationId')
  }
  const pending = db.createObjectStore('pending', { keyPath: ['clientId', 'id'] })
  pending.createIndex('byClient', 'clientId')
  const now = Date.now()
  const clientId = oldClientId ?? crypto.randomUUID()
  for (const r of oldPending)
    await pending.put({ clientId, id: r.id, name: r.name, args: r.args, createdAt: now })

  const local = db.createObjectStore('localRows', { keyPath: ['collection', 'id'] })
  local.createIndex('byCollection', 'collection')
  if (oldVersion < 2) return
  // v2 kept local collections as chunks of shape `local:<name>`.
  const shapes = tx.objectStore('shapes')
  for (const shape of await shapes.getAll()) {
    if (!shape.shapeKey.startsWith('local:')) continue
    const collection = shape.shapeKey.slice('local:'.length)
    const chunks = await tx.objectStore('shapeChunks').index('byShape').getAll(shape.shapeKey)
    for (const c of chunks) for (const row of c.rows) await local.put({ collection, id: row.id, row })
    await tx
      .objectStore('shapeChunks')
      .delete(IDBKeyRange.bound([shape.shapeKey, -Infinity], [shape.shapeKey, Infinity]))
    await shapes.delete(shape.shapeKey)
  }
}
