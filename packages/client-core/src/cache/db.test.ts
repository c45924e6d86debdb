// The IndexedDB schema (fake-indexeddb): what each upgrade keeps, and unavailability.
import 'fake-indexeddb/auto'
import { openDB } from 'idb'
import { describe, expect, it } from 'vitest'
import {
  CacheBlockedError,
  CacheUnavailableError,
  ClientErrorKind,
  type LumenizeClientError,
} from '../errors'
import { CACHE_SCHEMA_VERSION, cacheName, openCache } from './db'
import { IdbStore } from './store'

const row = (id: string, value: Record<string, unknown>) => ({
  id,
  type: 'Note',
  value,
  version: 1,
  validFrom: 1,
  validTo: 8.64e15,
  deleted: false,
  clientId: null,
  mutationId: null,
})

/** A database as v2 of the client wrote it. */
async function v2Database(name: string): Promise<void> {
  const db = await openDB(name, 2, {
    upgrade(d) {
      d.createObjectStore('meta')
      d.createObjectStore('shapeChunks', { keyPath: ['shapeKey', 'chunk'] }).createIndex(
        'byShape',
        'shapeKey',
      )
      d.createObjectStore('pending', { keyPath: 'id' })
      d.createObjectStore('shapes', { keyPath: 'shapeKey' })
    },
  })
  await db.put('meta', 'client-v2', 'clientId')
  await db.put('meta', 7, 'lastMutationId')
  await db.put('meta', 'group-v2', 'clientGroupId')
  await db.put('pending', { id: 6, name: 'upsert', args: { id: 'a' } })
  await db.put('pending', { id: 7, name: 'patch', args: { id: 'a' } })
  await db.put('shapes', {
    shapeKey: 'entities:{"type":"Task"}',
    name: 'entities',
    params: {},
    cookie: 9,
    updatedAt: 1,
  })
  await db.put('shapeChunks', {
    shapeKey: 'entities:{"type":"Task"}',
    chunk: 0,
    rows: [row('t1', { title: 'kept' })],
  })
  await db.put('shapes', { shapeKey: 'local:drafts', name: 'drafts', params: {}, updatedAt: 1 })
  await db.put('shapeChunks', {
    shapeKey: 'local:drafts',
    chunk: 0,
    rows: [row('d1', { text: 'a' }), row('d2', { text: 'b' })],
  })
  db.close()
}

describe('openCache (fake IndexedDB)', () => {
  it('keeps stars apart', async () => {
    const a = await openCache('acme.prod.main', 'unit-2')
    await a.put('meta', 'cookie-a', 'cookie')
    const b = await openCache('other.prod.main', 'unit-2')
    expect(await b.get('meta', 'cookie')).toBeUndefined()
    expect(await a.get('meta', 'cookie')).toBe('cookie-a')
    a.close()
    b.close()
  })

  it('upgrades a v2 database: the queue keeps its client id, shapes stay, local chunks become rows', async () => {
    await v2Database(cacheName('acme.prod.main', 'unit-v2'))
    const db = await openCache('acme.prod.main', 'unit-v2')
    expect(db.version).toBe(CACHE_SCHEMA_VERSION)
    const store = new IdbStore(db, () => undefined)
    // The queue of the one client v2 had, to be recovered like any closed client's.
    expect(await store.pendingClients()).toEqual(['client-v2'])
    expect((await store.loadPending('client-v2')).map((r) => [r.id, r.name])).toEqual([
      [6, 'upsert'],
      [7, 'patch'],
    ])
    expect(await store.getMeta('clientGroupId')).toBe('group-v2')
    expect(await store.getMeta('clientId')).toBeUndefined()
    expect((await store.loadShape('entities:{"type":"Task"}'))?.chunks[0]?.rows[0]?.value).toEqual({
      title: 'kept',
    })
    expect(await store.loadShape('local:drafts')).toBeUndefined()
    expect(
      (await store.loadLocal('drafts'))
        .map((r) => r.row.value)
        .sort((x, y) => String(x.text).localeCompare(String(y.text))),
    ).toEqual([{ text: 'a' }, { text: 'b' }])
    store.close()
  })

  it('upgrades a v1 database to the current version, keeping its queue', async () => {
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

    const store = new IdbStore(await openCache('acme.prod.main', 'unit-v1'), () => undefined)
    expect((await store.loadPending('client-1')).map((r) => r.args)).toEqual([{ id: 'x' }])
    expect(await store.loadShape('tasks')).toBeUndefined()
    store.close()
  })

  it('agrees on one group id when two clients create it at once', async () => {
    const a = new IdbStore(await openCache('acme.prod.main', 'unit-gid'), () => undefined)
    const b = new IdbStore(await openCache('acme.prod.main', 'unit-gid'), () => undefined)
    const [x, y] = await Promise.all([
      a.getOrCreateMeta('clientGroupId', () => 'from-a'),
      b.getOrCreateMeta('clientGroupId', () => 'from-b'),
    ])
    expect(x).toBe(y)
    a.close()
    b.close()
  })

  it('reports an upgrade that an older tab blocks, typed and retryable, and goes on once it closes', async () => {
    const name = cacheName('acme.prod.main', 'unit-blocked')
    await v2Database(name)
    // An older tab of the app, at v2, that does not step aside on versionchange.
    const old = await openDB(name, 2)
    const blocked: LumenizeClientError[] = []
    const opening = openCache('acme.prod.main', 'unit-blocked', (e) => blocked.push(e))
    await new Promise((r) => setTimeout(r, 50))
    expect(blocked.map((e) => e.kind)).toEqual([ClientErrorKind.cacheBlocked])
    expect(blocked[0]).toBeInstanceOf(CacheBlockedError)
    old.close()
    const db = await opening
    expect(db.version).toBe(CACHE_SCHEMA_VERSION)
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
