// The client's IndexedDB database: one per (star, client group), versioned, opened with idb.
import { type DBSchema, type IDBPDatabase, openDB } from 'idb'

/** The version of the client's IndexedDB schema; bump it with a step in `upgrade`. */
export const CACHE_SCHEMA_VERSION = 1

/** What the cache stores. Shape rows are kept in chunks, never one record per row. */
export interface LumenizeCacheSchema extends DBSchema {
  meta: { key: string; value: unknown }
  shapeChunks: {
    key: [string, number]
    value: { shapeKey: string; chunk: number; rows: unknown[] }
    indexes: { byShape: string }
  }
  pending: { key: number; value: { id: number; name: string; args: unknown } }
}

export type LumenizeCache = IDBPDatabase<LumenizeCacheSchema>

/** Thrown when the browser offers no IndexedDB (private modes, some embedded webviews). */
export class CacheUnavailableError extends Error {
  constructor(cause?: unknown) {
    super('IndexedDB is not available here: use persistence "memory" or allow site storage', { cause })
    this.name = 'CacheUnavailableError'
  }
}

/**
 * Opens (creating or upgrading) the cache database of one star and client group.
 *
 * @example const db = await openCache('acme.prod.main', 'group-1')
 */
export async function openCache(star: string, clientGroupId: string): Promise<LumenizeCache> {
  if (typeof indexedDB === 'undefined') throw new CacheUnavailableError()
  return openDB<LumenizeCacheSchema>(`lumenize:${star}:${clientGroupId}`, CACHE_SCHEMA_VERSION, {
    upgrade(db, oldVersion) {
      if (oldVersion < 1) {
        db.createObjectStore('meta')
        const chunks = db.createObjectStore('shapeChunks', { keyPath: ['shapeKey', 'chunk'] })
        chunks.createIndex('byShape', 'shapeKey')
        db.createObjectStore('pending', { keyPath: 'id' })
      }
    },
    blocking(_current, _blocked, event) {
      // A newer version wants to open in another tab: step aside so it can upgrade.
      ;(event.target as IDBDatabase).close()
    },
  })
}
