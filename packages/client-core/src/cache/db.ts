// The client's IndexedDB database: one per (star, cache name), versioned, opened with idb.
import type { EntitySnapshot } from '@lumenize/protocol'
import { type DBSchema, type IDBPDatabase, openDB } from 'idb'
import { CacheUnavailableError } from '../errors'

/**
 * The version of the client's IndexedDB schema; bump it with a step in `upgrade`.
 *
 * History:
 *   1: meta, shapeChunks ([shapeKey, chunk]), pending (by id).
 *   2: + shapes (cookie and params per shape). v1 chunks had no cookie, so they are dropped (the
 *      shapes re-seed); pending mutations are kept.
 */
export const CACHE_SCHEMA_VERSION = 2

/** A queued mutation: `id` is per client, gapless. */
export interface PendingRecord {
  id: number
  name: string
  args: unknown
}

/** One shape's replica: where it is (cookie) and how many chunks its rows fill. */
export interface ShapeRecord {
  shapeKey: string
  name: string
  params: Record<string, unknown>
  /** The op-log seq the stored rows are current at; undefined for a local-only collection. */
  cookie?: number
  updatedAt: number
}

/** Up to a few hundred rows of one shape in one record: never one record per row. */
export interface ChunkRecord {
  shapeKey: string
  chunk: number
  rows: EntitySnapshot[]
}

/** What the cache stores. */
export interface LumenizeCacheSchema extends DBSchema {
  meta: { key: string; value: unknown }
  shapes: { key: string; value: ShapeRecord }
  shapeChunks: { key: [string, number]; value: ChunkRecord; indexes: { byShape: string } }
  pending: { key: number; value: PendingRecord }
}

export type LumenizeCache = IDBPDatabase<LumenizeCacheSchema>

/** The database name of a star's cache. */
export const cacheName = (star: string, name: string): string => `lumenize:${star}:${name}`

/**
 * Opens (creating or upgrading) the cache database of one star. `name` tells caches of one star apart
 * (the client passes its `clientGroupId`, or "default").
 *
 * @example const db = await openCache('acme.prod.main', 'default')
 */
export async function openCache(star: string, name: string): Promise<LumenizeCache> {
  if (typeof indexedDB === 'undefined') throw new CacheUnavailableError()
  try {
    return await openDB<LumenizeCacheSchema>(cacheName(star, name), CACHE_SCHEMA_VERSION, {
      upgrade(db, oldVersion, _newVersion, tx) {
        if (oldVersion < 1) {
          db.createObjectStore('meta')
          const chunks = db.createObjectStore('shapeChunks', { keyPath: ['shapeKey', 'chunk'] })
          chunks.createIndex('byShape', 'shapeKey')
          db.createObjectStore('pending', { keyPath: 'id' })
        }
        if (oldVersion < 2) {
          db.createObjectStore('shapes', { keyPath: 'shapeKey' })
          if (oldVersion >= 1) void tx.objectStore('shapeChunks').clear()
        }
      },
      blocking(_current, _blocked, event) {
        // A newer version wants to open in another tab: step aside so it can upgrade.
        ;(event.target as IDBDatabase).close()
      },
    })
  } catch (err) {
    throw new CacheUnavailableError(err)
  }
}
