// The pending queue: ids in call order, persisted before sent, settled only by the server, and the
// queues of closed clients adopted and pushed under their own ids.
import 'fake-indexeddb/auto'
import type { Mutation } from '@lumenize/protocol'
import { describe, expect, it } from 'vitest'
import { openCache } from '../cache/db'
import { IdbStore } from '../cache/store'
import { type LumenizeClientError, MutationRejectedError } from '../errors'
import { MAX_PUSH_MUTATIONS, PendingQueue, PUSH_FRAME_BUDGET } from './pending'

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms))

async function setup(name: string, clientId = `c-${name}`) {
  const store = new IdbStore(await openCache('unit.pending.star', name), () => undefined)
  const pushes: Array<{ clientId: string; mutations: Mutation[] }> = []
  const storedWhenSent: number[][] = []
  const errors: LumenizeClientError[] = []
  const drained: string[] = []
  const counts: Array<[number, number | null]> = []
  const queue = new PendingQueue({
    clientId,
    send: (cid, mutations) => {
      pushes.push({ clientId: cid, mutations })
      // Record what IndexedDB held at send time: a mutation is persisted before it is sent.
      void store.loadPending(cid).then((p) => storedWhenSent.push(p.map((r) => r.id)))
      return true
    },
    onCount: (n, oldest) => counts.push([n, oldest]),
    onError: (e) => errors.push(e),
    onDrained: (cid) => drained.push(cid),
  })
  return { store, queue, pushes, storedWhenSent, errors, drained, counts, clientId }
}

const ids = (pushes: Array<{ mutations: Mutation[] }>) => pushes.flatMap((p) => p.mutations.map((m) => m.id))

describe('PendingQueue', () => {
  it('gives gapless ids in call order, also to mutations made before the store opened', async () => {
    const { store, queue, pushes } = await setup('order')
    queue.enqueue('upsert', { n: 1 })
    queue.enqueue('patch', { n: 2 })
    expect(queue.size).toBe(2)
    queue.connected(1, 0)
    // Not sent before it is stored.
    expect(pushes).toEqual([])
    queue.start(store)
    queue.enqueue('delete', { n: 3 })
    await queue.idle()
    expect(pushes.flatMap((p) => p.mutations.map((m) => [m.id, m.name]))).toEqual([
      [1, 'upsert'],
      [2, 'patch'],
      [3, 'delete'],
    ])
    store.close()
  })

  it('persists each mutation before sending it, under its client id', async () => {
    const { store, queue, storedWhenSent, clientId, pushes } = await setup('persist')
    queue.start(store)
    queue.connected(1, 0)
    for (let n = 1; n <= 5; n++) queue.enqueue('upsert', { n })
    await queue.idle()
    await tick()
    // A burst of edits is stored in one transaction, then sent: every id sent was stored by then.
    expect(storedWhenSent.length).toBe(pushes.length)
    for (const [i, p] of pushes.entries())
      for (const m of p.mutations) expect(storedWhenSent[i]).toContain(m.id)
    expect(pushes.flatMap((p) => p.mutations.map((m) => m.id))).toEqual([1, 2, 3, 4, 5])
    expect((await store.loadPending(clientId)).map((r) => [r.clientId, r.id])).toEqual(
      [1, 2, 3, 4, 5].map((id) => [clientId, id]),
    )
    store.close()
  })

  it('settles by confirmation, rejects refused ones with the server error, and forgets both', async () => {
    const { store, queue, clientId, counts } = await setup('settle')
    queue.start(store)
    queue.connected(1, 0)
    const a = queue.enqueue('upsert', {})
    const b = queue.enqueue('patch', {})
    await queue.idle()
    expect(counts.at(-1)?.[0]).toBe(2)
    expect(counts.at(-1)?.[1]).toBeTypeOf('number')
    queue.fail(clientId, 2, { kind: 'NOT_FOUND', message: 'gone', details: { id: 'x' } })
    queue.confirm({ [clientId]: 2 })
    await expect(a.done).resolves.toBeUndefined()
    const err = await b.done.catch((e: unknown) => e)
    expect(err).toBeInstanceOf(MutationRejectedError)
    expect(err).toMatchObject({ kind: 'NOT_FOUND', details: { id: 'x' }, mutationId: 2, mutator: 'patch' })
    expect(queue.size).toBe(0)
    expect(counts.at(-1)).toEqual([0, null])
    await queue.idle()
    expect(await store.loadPending(clientId)).toEqual([])
    store.close()
  })

  it('sends each mutation once per connection, and again after a reconnect or a gap', async () => {
    const { store, queue, pushes, clientId } = await setup('resend')
    queue.start(store)
    queue.enqueue('upsert', {})
    await queue.idle()
    expect(pushes).toHaveLength(0)
    queue.connected(1, 0)
    queue.flush()
    expect(ids(pushes)).toEqual([1])
    queue.disconnected()
    queue.connected(2, 0)
    expect(ids(pushes)).toEqual([1, 1])
    queue.outOfOrder(clientId, 0)
    expect(ids(pushes)).toEqual([1, 1, 1])
    store.close()
  })

  it('splits large queues into frames of at most 1000 mutations and of the frame budget in UTF-8 bytes', {
    timeout: 30_000,
  }, async () => {
    const { store, queue, pushes } = await setup('batch')
    queue.start(store)
    for (let n = 0; n < 2500; n++) queue.enqueue('upsert', { n })
    await queue.idle()
    queue.connected(1, 0)
    expect(pushes.map((p) => p.mutations.length)).toEqual([MAX_PUSH_MUTATIONS, MAX_PUSH_MUTATIONS, 500])

    // "é" is 1 UTF-16 unit but 2 UTF-8 bytes: frames are cut by bytes.
    const wide = await setup('batch-bytes')
    wide.queue.start(wide.store)
    const text = 'é'.repeat(60_000)
    for (let n = 0; n < 10; n++) wide.queue.enqueue('upsert', { text })
    await wide.queue.idle()
    wide.queue.connected(1, 0)
    for (const p of wide.pushes) {
      const bytes = new TextEncoder().encode(JSON.stringify(p.mutations)).length
      expect(bytes).toBeLessThanOrEqual(PUSH_FRAME_BUDGET)
    }
    expect(ids(wide.pushes)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    // 120 KB of UTF-8 each (60,000 UTF-16 units): four fit a frame by bytes (eight would by units).
    expect(wide.pushes.map((p) => p.mutations.length)).toEqual([4, 4, 2])
    const refused = wide.queue.enqueue('upsert', { text: 'é'.repeat(PUSH_FRAME_BUDGET / 2) })
    await expect(refused.done).rejects.toMatchObject({ kind: 'PAYLOAD_TOO_LARGE', mutationId: 0 })
    store.close()
    wide.store.close()
  })

  it('adopts the queue of a closed client: pushed first under its own id, confirmed, then released', async () => {
    const closed = await setup('adopt', 'c-closed')
    closed.queue.start(closed.store)
    for (let n = 1; n <= 3; n++) closed.queue.enqueue('upsert', { n })
    await closed.queue.idle()
    closed.queue.close()

    const live = await setup('adopt', 'c-live')
    live.queue.start(live.store)
    live.queue.enqueue('upsert', { mine: true })
    const adopted = live.queue.adopt('c-closed', await live.store.loadPending('c-closed'))
    expect(adopted.map((e) => [e.clientId, e.id, e.own])).toEqual([
      ['c-closed', 1, false],
      ['c-closed', 2, false],
      ['c-closed', 3, false],
    ])
    await live.queue.idle()
    live.queue.connected(1, 0)
    expect(live.pushes.map((p) => [p.clientId, p.mutations.map((m) => m.id)])).toEqual([
      ['c-closed', [1, 2, 3]],
      ['c-live', [1]],
    ])
    expect(live.queue.size).toBe(4)
    // The server applied 1 and 2 before the close; 3 now; the second is refused when pushed again.
    live.queue.fail('c-closed', 3, { kind: 'CONFLICT', message: 'exists' })
    live.queue.confirm({ 'c-closed': 2 })
    await Promise.all(adopted.slice(0, 2).map((e) => e.done.promise))
    await live.queue.idle()
    expect(live.drained).toEqual(['c-closed'])
    expect(live.errors.map((e) => e.kind)).toEqual(['CONFLICT'])
    expect(await live.store.loadPending('c-closed')).toEqual([])
    expect(live.queue.size).toBe(1)
    closed.store.close()
    live.store.close()
  })

  it('settles nothing on its own: a mutation waits for the server however long', async () => {
    const { store, queue } = await setup('no-timeout')
    queue.start(store)
    queue.connected(1, 0)
    const waiting = queue.enqueue('upsert', {})
    let settled = false
    void waiting.done.then(
      () => {
        settled = true
      },
      () => {
        settled = true
      },
    )
    await tick(200)
    expect(settled).toBe(false)
    expect(queue.size).toBe(1)
    store.close()
  })
})
