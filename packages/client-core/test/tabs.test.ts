// Several live clients on one cache database (what tabs of one app are), against the real server:
// each has its own clientId, nothing is lost in any interleaving, a closed client's queue is
// recovered exactly once, and one client at a time writes the shared shape cache.
import { describe, expect, it } from 'vitest'
import { type EntityRow, openCache, stripVirtual } from '../src/index'
import {
  closedAfterEach,
  eventually,
  freshStar,
  rpc,
  serverUrl,
  type TestClient,
  TestTransport,
} from './helpers'

const client = closedAfterEach()

type Doc = { title: string; by?: string }
const synced = (c: TestClient) => eventually(() => expect(c.status.getSnapshot().state).toBe('synced'))
const settled = (c: TestClient) => eventually(() => expect(c.status.getSnapshot().pending).toBe(0))

async function serverDocs(star: string): Promise<EntityRow<Doc>[]> {
  const r = await rpc<{ entities: EntityRow<Doc>[] }>(star, 'query', { type: 'Doc', limit: 1000 })
  return r.entities.sort((a, b) => a.id.localeCompare(b.id))
}

const sorted = (rows: Iterable<EntityRow<Doc>>) =>
  [...rows].map((r) => stripVirtual(r)).sort((a, b) => a.id.localeCompare(b.id))

describe('clients sharing one cache (the default config, as tabs do)', () => {
  it('two clients of one cache writing online and offline, interleaved, lose nothing', async () => {
    const star = freshStar()
    const ta = new TestTransport(serverUrl(), star)
    const tb = new TestTransport(serverUrl(), star)
    // No clientGroupId: both open the same database, as the README's quick start does in two tabs.
    const a = client(star, { transport: ta })
    const b = client(star, { transport: tb })
    const docsA = a.shape<Doc>('entities', { type: 'Doc' })
    const docsB = b.shape<Doc>('entities', { type: 'Doc' })
    await Promise.all([synced(a), synced(b)])
    expect(a.clientId).not.toBe(b.clientId)

    const ids = Array.from({ length: 6 }, () => crypto.randomUUID())
    const id = (n: number): string => ids[n] ?? ''
    const edits: Array<() => void> = [
      () => docsA.insert({ id: id(0), type: 'Doc', value: { title: 'a0', by: 'a' } }),
      () => docsB.insert({ id: id(1), type: 'Doc', value: { title: 'b1', by: 'b' } }),
      () => ta.cut(),
      () => docsA.insert({ id: id(2), type: 'Doc', value: { title: 'a2 offline', by: 'a' } }),
      () => docsB.insert({ id: id(3), type: 'Doc', value: { title: 'b3', by: 'b' } }),
      () => tb.cut(),
      () =>
        docsA.update(id(0), (d) => {
          d.value.title = 'a0 renamed offline'
        }),
      () => docsB.insert({ id: id(4), type: 'Doc', value: { title: 'b4 offline', by: 'b' } }),
      () => ta.restore(),
      () => docsA.insert({ id: id(5), type: 'Doc', value: { title: 'a5', by: 'a' } }),
      () => tb.restore(),
    ]
    for (const edit of edits) {
      edit()
      await new Promise((r) => setTimeout(r, 30))
    }
    await Promise.all([settled(a), settled(b), synced(a), synced(b)])

    const truth = await serverDocs(star)
    expect(truth.map((d) => d.value.title).sort()).toEqual(
      ['a0 renamed offline', 'a2 offline', 'a5', 'b1', 'b3', 'b4 offline'].sort(),
    )
    // Every write is one snapshot under the client that made it: no id was reused, none skipped.
    for (const doc of truth) {
      const history = await a.history(doc.id)
      const writer = doc.value.by === 'a' ? a.clientId : b.clientId
      expect(history.every((h) => h.clientId === writer)).toBe(true)
      expect(history.map((h) => h.version)).toEqual(doc.id === id(0) ? [1, 2] : [1])
    }
    await eventually(() => {
      expect(sorted(docsA.values())).toEqual(truth)
      expect(sorted(docsB.values())).toEqual(truth)
    })
  })

  it('a client closed with pending writes is recovered by another exactly once', async () => {
    const star = freshStar()
    const cut = new TestTransport(serverUrl(), star)
    const leaving = client(star, { transport: cut })
    const staying = client(star)
    const docsL = leaving.shape<Doc>('entities', { type: 'Doc' })
    const docsS = staying.shape<Doc>('entities', { type: 'Doc' })
    await Promise.all([synced(leaving), synced(staying)])
    cut.cut()
    await eventually(() => expect(leaving.status.getSnapshot().state).toBe('offline'))
    for (let n = 0; n < 5; n++) docsL.insert({ type: 'Doc', value: { title: `left ${n}` } })
    await eventually(() => expect(leaving.status.getSnapshot().pending).toBe(5))
    const leftId = leaving.clientId
    await leaving.close()

    // The other client takes the queue over and pushes it under the closed client's id.
    await eventually(() => expect(docsS.size).toBe(5))
    await settled(staying)
    const truth = await serverDocs(star)
    expect(truth).toHaveLength(5)
    for (const doc of truth) {
      const history = await staying.history(doc.id)
      expect(history.map((h) => [h.version, h.clientId])).toEqual([[1, leftId]])
    }
    expect(sorted(docsS.values())).toEqual(truth)
    // A new client of the cache finds nothing left to push.
    const next = client(star)
    next.shape<Doc>('entities', { type: 'Doc' })
    await synced(next)
    expect(next.status.getSnapshot().pending).toBe(0)
    expect((await rpc<{ seq: number }>(star, 'star.health')).seq).toBe(6)
  })

  it('one client of a cache writes its shapes; the next one rewrites them whole', async () => {
    const star = freshStar()
    const first = client(star)
    const second = client(star)
    const docs1 = first.shape<Doc>('entities', { type: 'Doc' })
    const docs2 = second.shape<Doc>('entities', { type: 'Doc' })
    await Promise.all([synced(first), synced(second)])
    for (let n = 0; n < 40; n++) (n % 2 ? docs1 : docs2).insert({ type: 'Doc', value: { title: `d${n}` } })
    await Promise.all([settled(first), settled(second)])
    const truth = await serverDocs(star)
    await eventually(() => expect(sorted(docs2.values())).toEqual(truth))
    await first.close()

    // The second takes the writer's place and rewrites the stored copy from its own rows.
    const db = await openCache(star, 'default')
    await eventually(async () => {
      const stored = (await db.getAll('shapeChunks')).flatMap((c) => c.rows)
      expect(stored.map((r) => r.id).sort()).toEqual(truth.map((d) => d.id))
    })
    db.close()
    await second.close()

    // A cold start reads exactly the server's rows from the cache, no duplicate and none missing.
    const cold = client(star, { url: 'http://127.0.0.1:9' })
    const docs3 = cold.shape<Doc>('entities', { type: 'Doc' })
    await cold.ready
    expect(sorted(docs3.values())).toEqual(truth)
  })

  it('remembers when it last synced', async () => {
    const star = freshStar()
    const a = client(star)
    a.shape<Doc>('entities', { type: 'Doc' })
    await synced(a)
    const at = a.status.getSnapshot().lastSyncedAt
    expect(at).not.toBeNull()
    await a.close()

    const b = client(star, { url: 'http://127.0.0.1:9' })
    b.shape<Doc>('entities', { type: 'Doc' })
    await b.ready
    expect(b.status.getSnapshot()).toMatchObject({ source: 'cache' })
    expect(b.status.getSnapshot().lastSyncedAt?.epochMilliseconds).toBe(at?.epochMilliseconds)
  })
})
