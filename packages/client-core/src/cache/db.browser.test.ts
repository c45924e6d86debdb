// The cache database in Chromium's real IndexedDB.
import { describe, expect, it } from 'vitest'
import { snapshot } from '../testing/fake-transport'
import { openCache } from './db'

describe('openCache in Chromium (real IndexedDB)', () => {
  it('opens the database, writes a chunk and reads it back after reopening', async () => {
    const star = `browser.test.s${Date.now()}`
    const db = await openCache(star, 'tab')
    const rows = Array.from({ length: 500 }, (_, i) => snapshot(crypto.randomUUID(), { title: `Task ${i}` }))
    await db.put('shapeChunks', { shapeKey: 'tasks', chunk: 0, rows })
    db.close()

    const reopened = await openCache(star, 'tab')
    const chunk = await reopened.get('shapeChunks', ['tasks', 0])
    expect(chunk?.rows).toHaveLength(500)
    expect(chunk?.rows[499]?.value).toEqual({ title: 'Task 499' })
    // The database is a real one the browser lists.
    const names = (await indexedDB.databases()).map((d) => d.name)
    expect(names).toContain(`lumenize:${star}:tab`)
    reopened.close()
  })
})
