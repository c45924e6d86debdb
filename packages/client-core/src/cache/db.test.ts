import 'fake-indexeddb/auto'
import { describe, expect, it } from 'vitest'
import { CACHE_SCHEMA_VERSION, openCache } from './db'

describe('openCache (fake IndexedDB)', () => {
  it('creates the stores and keeps chunked shape rows between opens', async () => {
    const db = await openCache('acme.prod.main', 'unit-1')
    expect(db.version).toBe(CACHE_SCHEMA_VERSION)
    expect([...db.objectStoreNames].sort()).toEqual(['meta', 'pending', 'shapeChunks'])
    const rows = Array.from({ length: 300 }, (_, i) => ({ id: `e${i}`, n: i }))
    await db.put('shapeChunks', { shapeKey: 'tasks', chunk: 0, rows })
    db.close()

    const again = await openCache('acme.prod.main', 'unit-1')
    const chunks = await again.getAllFromIndex('shapeChunks', 'byShape', 'tasks')
    expect(chunks).toHaveLength(1)
    expect(chunks[0]?.rows).toEqual(rows)
    again.close()
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
})
