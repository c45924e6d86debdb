// The store's fallbacks: memory when IndexedDB is missing, and when a write fails (over quota).
import 'fake-indexeddb/auto'
import { describe, expect, it } from 'vitest'
import { createClient } from '../client'
import { CacheUnavailableError, CacheWriteError, type LumenizeClientError } from '../errors'
import { FakeTransport } from '../testing/fake-transport'
import { openCache } from './db'
import { IdbStore, MemoryStore, openStore } from './store'

describe('store fallbacks', () => {
  it('uses memory, and says why, when IndexedDB is unavailable', async () => {
    const saved = globalThis.indexedDB
    // @ts-expect-error: simulate a runtime without IndexedDB
    delete globalThis.indexedDB
    try {
      const errors: LumenizeClientError[] = []
      const store = await openStore('indexeddb', 'unit.store.star', 'x', (e) => errors.push(e))
      expect(store).toBeInstanceOf(MemoryStore)
      expect(errors[0]).toBeInstanceOf(CacheUnavailableError)

      // The client goes on, in memory, and shows it on its status.
      const onError: LumenizeClientError[] = []
      const client = createClient({
        url: 'http://fake',
        star: 'unit.store.star',
        persistence: 'indexeddb',
        transport: new FakeTransport(),
        onError: (e) => onError.push(e),
      })
      const docs = client.shape('entities', { type: 'Doc' })
      docs.insert({ type: 'Doc', value: { ok: true } })
      await client.ready
      expect(client.status.getSnapshot()).toMatchObject({ persistence: 'memory', pending: 1 })
      expect(client.status.getSnapshot().error).toBeInstanceOf(CacheUnavailableError)
      expect(onError).toHaveLength(1)
      await client.close()
    } finally {
      globalThis.indexedDB = saved
    }
  })

  it('goes on in memory after a write fails over quota, reporting it once', async () => {
    const errors: LumenizeClientError[] = []
    const db = await openCache('unit.store.star', 'quota')
    const store = new IdbStore(db, (e) => errors.push(e))
    const realTransaction = db.transaction.bind(db)
    db.transaction = (() => {
      throw new DOMException('The quota has been exceeded.', 'QuotaExceededError')
    }) as unknown as typeof db.transaction
    await store.addPending([{ clientId: 'c1', id: 1, name: 'upsert', args: {}, createdAt: 1 }])
    await store.addPending([{ clientId: 'c1', id: 2, name: 'upsert', args: {}, createdAt: 2 }])
    expect(store.kind).toBe('memory')
    expect(errors).toHaveLength(1)
    expect(errors[0]).toBeInstanceOf(CacheWriteError)
    expect(errors[0]?.kind).toBe('CACHE_QUOTA')
    expect((await store.loadPending('c1')).map((p) => p.id)).toEqual([1, 2])
    db.transaction = realTransaction
    store.close()
  })
})
