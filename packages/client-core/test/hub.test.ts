// Clients of one cache behind one hub (the leader election, in Node with in-process locks), against
// the real server: one socket for all of them, a write in one shown in the others at once (even
// with the server out of reach), and the leader's place taken over with nothing lost.
import { describe, expect, it } from 'vitest'
import { type EntityRow, stripVirtual } from '../src/index'
import { closedAfterEach, closedPortUrl, eventually, freshStar, rpc, type TestClient } from './helpers'

const client = closedAfterEach()
type Doc = { title: string }

const health = (star: string) => rpc<{ sockets: number; seq: number }>(star, 'star.health')
const titles = (rows: Iterable<EntityRow<Doc>>) => [...rows].map((r) => r.value.title).sort()
const settled = (c: TestClient) => eventually(() => expect(c.status.getSnapshot().pending).toBe(0))
const synced = (c: TestClient) => eventually(() => expect(c.status.getSnapshot().state).toBe('synced'))

async function serverTitles(star: string): Promise<string[]> {
  const r = await rpc<{ entities: EntityRow<Doc>[] }>(star, 'query', { type: 'Doc', limit: 1000 })
  return titles(r.entities)
}

describe('clients behind one hub (leader election)', () => {
  it('three clients of one cache share one server socket, and see each other at once', async () => {
    const star = freshStar()
    const tabs = [0, 1, 2].map(() => client(star, { transport: 'leader' }))
    const docs = tabs.map((t) => t.shape<Doc>('entities', { type: 'Doc' }))
    await Promise.all(tabs.map(synced))
    expect((await health(star)).sockets).toBe(1)
    docs[0]?.insert({ type: 'Doc', value: { title: 'from the first' } })
    docs[2]?.insert({ type: 'Doc', value: { title: 'from the third' } })
    await Promise.all(tabs.map(settled))
    expect(await serverTitles(star)).toEqual(['from the first', 'from the third'])
    for (const d of docs)
      await eventually(() => expect(titles(d.values())).toEqual(['from the first', 'from the third']))
    expect((await health(star)).sockets).toBe(1)
  })

  it('shows a write of one client in the others at once while the server is out of reach', async () => {
    const star = freshStar()
    const url = await closedPortUrl()
    const a = client(star, { transport: 'leader', url })
    const b = client(star, { transport: 'leader', url })
    const docsA = a.shape<Doc>('entities', { type: 'Doc' })
    const docsB = b.shape<Doc>('entities', { type: 'Doc' })
    await Promise.all([a.ready, b.ready])
    await eventually(() => expect(b.status.getSnapshot().state).toBe('offline'))
    docsA.insert({ type: 'Doc', value: { title: 'written offline in A' } })
    await eventually(() => expect(titles(docsB.values())).toEqual(['written offline in A']))
    expect(docsB.get([...docsB.keys()][0] ?? '')?.$synced).toBe(false)
    expect(b.status.getSnapshot().pending).toBe(1)
  })

  it('takes the leader place over when the leader closes, and loses none of its queue', async () => {
    const star = freshStar()
    const first = client(star, { transport: 'leader' })
    const second = client(star, { transport: 'leader' })
    const docs1 = first.shape<Doc>('entities', { type: 'Doc' })
    const docs2 = second.shape<Doc>('entities', { type: 'Doc' })
    await Promise.all([synced(first), synced(second)])
    for (let n = 0; n < 5; n++) docs1.insert({ type: 'Doc', value: { title: `d${n}` } })
    for (let n = 5; n < 10; n++) docs2.insert({ type: 'Doc', value: { title: `d${n}` } })
    // The first (the leader: it asked first) closes at once, its writes maybe still in flight.
    await first.close()
    await settled(second)
    await synced(second)
    const expected = Array.from({ length: 10 }, (_, n) => `d${n}`).sort()
    expect(await serverTitles(star)).toEqual(expected)
    await eventually(() => expect(titles(docs2.values())).toEqual(expected))
    // Each write applied once: ten snapshots of version 1.
    const r = await rpc<{ entities: EntityRow<Doc>[] }>(star, 'query', { type: 'Doc', limit: 100 })
    expect(r.entities.map((e) => stripVirtual(e).version)).toEqual(r.entities.map(() => 1))
    expect((await health(star)).sockets).toBe(1)
  })
})
