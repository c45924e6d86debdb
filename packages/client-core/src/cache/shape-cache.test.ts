// Shape rows in chunks: layout, atomic saves of only what changed, and reload.
import 'fake-indexeddb/auto'
import { describe, expect, it, vi } from 'vitest'
import { snapshot } from '../testing/fake-transport'
import { openCache } from './db'
import { ShapeCache } from './shape-cache'
import { IdbStore } from './store'

const id = (n: number): string => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`

async function idbStore(name: string): Promise<IdbStore> {
  return new IdbStore(await openCache('unit.cache.star', name), () => undefined)
}

describe('ShapeCache', () => {
  it('packs rows into chunks of rowsPerChunk and reloads them, with the cookie', async () => {
    const store = await idbStore('chunks-1')
    const cache = new ShapeCache('entities:{}', 'entities', {}, 100)
    for (let n = 0; n < 350; n++) cache.put(snapshot(id(n), { n }))
    cache.setCookie(42)
    await cache.save(store)
    expect([...cache.chunkSizes().values()]).toEqual([100, 100, 100, 50])
    store.close()

    const again = await idbStore('chunks-1')
    const loaded = new ShapeCache('entities:{}', 'entities', {}, 100)
    expect(await loaded.load(again)).toBe(true)
    expect(loaded.rows.size).toBe(350)
    expect(loaded.cookie).toBe(42)
    expect(loaded.rows.get(id(349))?.value).toEqual({ n: 349 })
    // Records are chunks, never one per row.
    expect((await again.loadShape('entities:{}'))?.chunks).toHaveLength(4)
    again.close()
  })

  it('rewrites only the chunks a change touched, and fills freed room first', async () => {
    const store = await idbStore('chunks-2')
    const cache = new ShapeCache('k', 'entities', {}, 100)
    for (let n = 0; n < 300; n++) cache.put(snapshot(id(n), { n }))
    await cache.save(store)
    const spy = vi.spyOn(store, 'saveShape')
    for (let n = 100; n < 110; n++) cache.delete(id(n))
    for (let n = 1000; n < 1005; n++) cache.put(snapshot(id(n), { n }))
    cache.put(snapshot(id(5), { n: 5, again: true }))
    await cache.save(store)
    const [, put, drop] = spy.mock.calls[0] ?? []
    expect(put?.map((c) => c.chunk).sort()).toEqual([0, 1])
    expect(drop).toEqual([])
    expect(cache.chunkSizes().get(1)).toBe(95)
    // Nothing changed: nothing written.
    await cache.save(store)
    expect(spy).toHaveBeenCalledTimes(1)
    store.close()
  })

  it('clears everything on a re-seed and drops emptied chunks', async () => {
    const store = await idbStore('chunks-3')
    const cache = new ShapeCache('k', 'entities', {}, 10)
    for (let n = 0; n < 35; n++) cache.put(snapshot(id(n), { n }))
    await cache.save(store)
    cache.clear()
    cache.put(snapshot(id(99), { n: 99 }))
    cache.setCookie(7)
    await cache.save(store)
    const stored = await store.loadShape('k')
    expect(stored?.chunks.map((c) => c.rows.length)).toEqual([1])
    expect(stored?.shape.cookie).toBe(7)
    store.close()
  })
})
