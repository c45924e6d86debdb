// Against the real server on workerd: cache-first cold starts, offline edits that survive a reload
// and apply exactly once, a cut socket that resumes with its cookie, and local-only collections.
import { describe, expect, it } from 'vitest'
import { type EntityRow, stripVirtual } from '../src/index'
import {
  closedAfterEach,
  closedPortUrl,
  eventually,
  freshStar,
  rpc,
  serverUrl,
  TestTransport,
  testClient,
} from './helpers'

const client = closedAfterEach()

type Doc = { n: number; edits: number }
const sorted = (rows: Iterable<EntityRow<object>>) =>
  [...rows].map((r) => stripVirtual(r)).sort((a, b) => a.id.localeCompare(b.id))

async function serverDocs(star: string): Promise<EntityRow<Doc>[]> {
  const r = await rpc<{ entities: EntityRow<Doc>[] }>(star, 'query', { type: 'Doc', limit: 1000 })
  return r.entities.sort((a, b) => a.id.localeCompare(b.id))
}

describe('offline and persistence against the real server', () => {
  it('applies 100 offline edits exactly once after a reload, and converges with another client', async () => {
    const star = freshStar()
    const group = `g-${crypto.randomUUID()}`
    const b = client(star, { clientGroupId: 'observer', persistence: 'memory' })
    const docsB = b.shape<Doc>('entities', { type: 'Doc' })

    // Started with the server unreachable: every edit is optimistic and queued in IndexedDB.
    const offline = testClient(star, { clientGroupId: group, url: await closedPortUrl() })
    const docs = offline.shape<Doc>('entities', { type: 'Doc' })
    await offline.ready
    const ids = Array.from({ length: 20 }, () => crypto.randomUUID())
    for (const [n, id] of ids.entries()) docs.insert({ id, type: 'Doc', value: { n, edits: 0 } })
    for (let i = 0; i < 80; i++) {
      docs.update(ids[i % 20]!, (d) => {
        d.value.edits += 1
      })
    }
    expect(docs.size).toBe(20)
    expect(docs.get(ids[0]!)?.value.edits).toBe(4)
    await eventually(() => expect(offline.status.getSnapshot().pending).toBe(100))
    expect(offline.status.getSnapshot().state).not.toBe('synced')
    await offline.close()

    // "Reload": a new client on the same database, now with the server reachable.
    const reloaded = client(star, { clientGroupId: group })
    const docs2 = reloaded.shape<Doc>('entities', { type: 'Doc' })
    await reloaded.ready
    // The queued edits show at once, on top of (still empty) server state.
    expect(docs2.size).toBe(20)
    expect(docs2.get(ids[0]!)?.value.edits).toBe(4)
    await eventually(() => expect(reloaded.status.getSnapshot().pending).toBe(0))

    const truth = await serverDocs(star)
    expect(truth).toHaveLength(20)
    for (const doc of truth) {
      expect(doc.value.edits).toBe(4)
      // One insert + four patches: exactly five snapshots, no replay twice.
      expect(doc.version).toBe(5)
      const history = await reloaded.history(doc.id)
      expect(history.map((h) => h.version)).toEqual([1, 2, 3, 4, 5])
    }
    await eventually(() => {
      expect(sorted(docs2.values())).toEqual(truth)
      expect(sorted(docsB.values())).toEqual(truth)
    })

    // A third start finds nothing queued: nothing is pushed again.
    await reloaded.close()
    const third = client(star, { clientGroupId: group })
    const docs3 = third.shape<Doc>('entities', { type: 'Doc' })
    await third.ready
    expect(third.status.getSnapshot().pending).toBe(0)
    expect(sorted(docs3.values())).toEqual(truth)
    await eventually(() => expect(third.status.getSnapshot().state).toBe('synced'))
    expect((await rpc<{ seq: number }>(star, 'star.health')).seq).toBe(101)
  })

  it('replays mutations whose confirmation was lost without applying them twice', async () => {
    const star = freshStar()
    const group = `g-${crypto.randomUUID()}`
    const a = testClient(star, { clientGroupId: group })
    const docs = a.shape<Doc>('entities', { type: 'Doc' })
    await a.ready
    await eventually(() => expect(a.status.getSnapshot().state).toBe('synced'))
    for (let n = 0; n < 10; n++) docs.insert({ type: 'Doc', value: { n, edits: 0 } })
    // Closed right away: some pushes may have reached the server, their confirmations did not.
    await a.close()
    const again = client(star, { clientGroupId: group })
    again.shape<Doc>('entities', { type: 'Doc' })
    await again.ready
    await eventually(() => expect(again.status.getSnapshot().pending).toBe(0))
    const truth = await serverDocs(star)
    expect(truth).toHaveLength(10)
    expect(truth.every((d) => d.version === 1)).toBe(true)
  })

  it('shows cached rows, ready, before the socket opens (cold start, server unreachable)', async () => {
    const star = freshStar()
    const group = `g-${crypto.randomUUID()}`
    const seeder = testClient(star, { clientGroupId: group })
    const docs = seeder.shape<Doc>('entities', { type: 'Doc' })
    await seeder.ready
    for (let n = 0; n < 30; n++) docs.insert({ type: 'Doc', value: { n, edits: 0 } })
    await eventually(() => expect(seeder.status.getSnapshot().pending).toBe(0))
    const expected = sorted(docs.values())
    await seeder.close()

    const url = await closedPortUrl()
    const transport = new TestTransport(url, star)
    let rowsWhenSocketStarted: number | undefined
    const connect = transport.connect.bind(transport)
    transport.connect = () => {
      rowsWhenSocketStarted ??= cold.shape<Doc>('entities', { type: 'Doc' }).size
      connect()
    }
    const cold = client(star, { clientGroupId: group, url, transport })
    const coldDocs = cold.shape<Doc>('entities', { type: 'Doc' })
    await cold.ready
    expect(coldDocs.isReady()).toBe(true)
    expect(rowsWhenSocketStarted).toBe(30)
    expect(sorted(coldDocs.values())).toEqual(expected)
    expect(coldDocs.utils.cookie()).toBeGreaterThan(0)
    // The failed connection attempts show as offline; the rows stay.
    await eventually(() =>
      expect(cold.status.getSnapshot()).toMatchObject({ state: 'offline', reason: 'serverUnreachable' }),
    )
    expect(coldDocs.size).toBe(30)
  })

  it('resumes with its cookie after a cut socket, and resends what was written meanwhile', async () => {
    const star = freshStar()
    const transport = new TestTransport(serverUrl(), star)
    const a = client(star, { clientGroupId: `g-${crypto.randomUUID()}`, transport })
    const other = client(star, { clientGroupId: 'other', persistence: 'memory' })
    const docsA = a.shape<Doc>('entities', { type: 'Doc' })
    const docsO = other.shape<Doc>('entities', { type: 'Doc' })
    await Promise.all([a.ready, other.ready])
    await eventually(() => expect(a.status.getSnapshot().state).toBe('synced'))
    const first = docsA.insert({ type: 'Doc', value: { n: 1, edits: 0 } })
    await first.isPersisted.promise

    transport.cut()
    await eventually(() => expect(a.status.getSnapshot().state).toBe('offline'))
    const mine = docsA.insert({ type: 'Doc', value: { n: 2, edits: 0 } })
    docsO.insert({ type: 'Doc', value: { n: 3, edits: 0 } })
    await eventually(() => expect(docsO.size).toBe(2))
    const cookieBefore = docsA.utils.cookie()

    transport.restore()
    await mine.isPersisted.promise
    await eventually(async () => expect(sorted(docsA.values())).toEqual(await serverDocs(star)))
    expect(docsA.size).toBe(3)
    const resubscribe = transport.sent.filter((m) => m.type === 'subscribe').at(-1)
    expect(resubscribe).toMatchObject({ cookie: cookieBefore })
    expect(transport.sent.filter((m) => m.type === 'subscribe')).toHaveLength(2)
  })

  it('keeps local-only collections on the device, across reloads, with the same API', async () => {
    const star = freshStar()
    const group = `g-${crypto.randomUUID()}`
    const a = testClient(star, { clientGroupId: group, url: await closedPortUrl() })
    const drafts = a.local<{ text: string }>('drafts')
    await drafts.toArrayWhenReady()
    const tx = drafts.insert({ type: 'Doc', value: { text: 'draft one' } })
    await tx.isPersisted.promise
    const id = [...drafts.keys()][0]!
    drafts.update(id, (d) => {
      d.value.text = 'draft two'
    })
    await eventually(() => expect(drafts.get(id)?.version).toBe(2))
    await a.close()

    const b = client(star, { clientGroupId: group, url: await closedPortUrl() })
    const again = b.local<{ text: string }>('drafts')
    await again.toArrayWhenReady()
    expect(again.get(id)?.value.text).toBe('draft two')
    expect(again.get(id)?.$synced).toBe(true)
    // Nothing went to the server queue.
    expect(b.status.getSnapshot().pending).toBe(0)
  })
})
