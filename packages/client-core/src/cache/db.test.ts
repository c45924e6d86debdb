// The IndexedDB schema (fake-indexeddb): stores, versions, the v1 → v2 upgrade, unavailability.
import 'fake-indexeddb/auto'
import { openDB } from 'idb'
import { describe, expect, it } from 'vitest'
import { CacheUnavailableError } from '../errors'
import { CACHE_SCHEMA_VERSION, cacheName, openCache } from './db'

describe('openCache (fake IndexedDB)', () => {
  it('creates every store at the current version', async () => {
    const db = await openCache('acme.prod.main', 'unit-1')
    expect(db.version).toBe(CACHE_SCHEMA_VERSION)
    expect([...db.objectStoreNames].sort()).toEqual(['meta', 'pending', 'shapeChunks', 'shapes'])
    db.close()
  })

  it('keeps stars apart', async () => {
    const a = await openCache('acme.prod.main', 'unit-2')
    await a.put('meta', 'cookie-a', 'cookie')
    const b = await openCache('other.prod.main', 'unit-2')
    expect(await b.get('meta', 'cookie')).toBeUndefined()
    expect(await a.get('meta', 'cookie')).toBe('cookie-a')
    a.close()
    b.close()
  })

  it('upgrades a v1 database: keeps meta and pending, drops cookie-less chunks', async () => {
    const name = cacheName('acme.prod.main', 'unit-v1')
    const v1 = await openDB(name, 1, {
      upgrade(db) {
        db.createObjectStore('meta')
        db.createObjectStore('shapeChunks', { keyPath: ['shapeKey', 'chunk'] }).createIndex(
          'byShape',
          'shapeKey',
        )
        db.createObjectStore('pending', { keyPath: 'id' })
      },
    })
    await v1.put('meta', 'client-1', 'clientId')
    await v1.put('pending', { id: 1, name: 'upsert', args: { id: 'x' } })
    await v1.put('shapeChunks', { shapeKey: 'tasks', chunk: 0, rows: [] })
    v1.close()

    const db = await openCache('acme.prod.main', 'unit-v1')
    expect(db.version).toBe(2)
    expect(await db.get('meta', 'clientId')).toBe('client-1')
    expect(await db.getAll('pending')).toEqual([{ id: 1, name: 'upsert', args: { id: 'x' } }])
    expect(await db.count('shapeChunks')).toBe(0)
    expect(await db.count('shapes')).toBe(0)
    db.close()
  })

  it('says clearly when IndexedDB is missing', async () => {
    const saved = globalThis.indexedDB
    // @ts-expect-error: simulate a runtime without IndexedDB
    delete globalThis.indexedDB
    try {
      await expect(openCache('acme.prod.main', 'none')).rejects.toBeInstanceOf(CacheUnavailableError)
    } finally {
      globalThis.indexedDB = saved
    }
  })
})
