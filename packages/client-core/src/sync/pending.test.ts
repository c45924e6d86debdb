// The pending queue: ids in call order, persisted before sent, kept across reloads, settled by
// confirmations, refusals, watermarks and timeouts.
import 'fake-indexeddb/auto'
import type { Mutation } from '@lumenize/protocol'
import { describe, expect, it } from 'vitest'
import { openCache } from '../cache/db'
import { IdbStore } from '../cache/store'
import { MutationRejectedError, MutationTimeoutError } from '../errors'
import { MAX_PUSH_MUTATIONS, PendingQueue } from './pending'

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms))

async function setup(name: string, timeoutMs = 10_000) {
  const store = new IdbStore(await openCache('unit.pending.star', name), () => undefined)
  const pushes: Mutation[][] = []
  const storedWhenSent: number[][] = []
  const queue = new PendingQueue({
    send: (m) => {
      pushes.push(m)
      // Record what IndexedDB held at send time: a mutation is persisted before it is sent.
      void store.loadPending().then((p) => storedWhenSent.push(p.map((r) => r.id)))
      return true
    },
    timeoutMs,
    onCount: () => undefined,
    onError: () => undefined,
  })
  return { store, queue, pushes, storedWhenSent }
}

describe('PendingQueue', () => {
  it('gives gapless ids in call order, also to mutations made before the store opened', async () => {
    const { store, queue, pushes } = await setup('order')
    queue.enqueue('upsert', { n: 1 })
    queue.enqueue('patch', { n: 2 })
    expect(queue.size).toBe(2)
    queue.start(store, [], 0)
    queue.enqueue('delete', { n: 3 })
    queue.connected(1, 0)
    await queue.idle()
    expect(pushes.flat().map((m) => [m.id, m.name])).toEqual([
      [1, 'upsert'],
      [2, 'patch'],
      [3, 'delete'],
    ])
    store.close()
  })

  it('persists before sending and survives a reload, then continues the ids', async () => {
    const first = await setup('reload')
    first.queue.start(first.store, [], 0)
    first.queue.connected(1, 0)
    for (let n = 1; n <= 5; n++) first.queue.enqueue('upsert', { n })
    await first.queue.idle()
    await tick()
    for (const [i, ids] of first.storedWhenSent.entries()) expect(ids).toContain(i + 1)
    first.queue.confirmThrough(2)
    await first.queue.idle()
    first.store.close()

    const second = await setup('reload')
    const records = await second.store.loadPending()
    expect(records.map((r) => r.id)).toEqual([3, 4, 5])
    second.queue.start(second.store, records, await second.store.getMeta<number>('lastMutationId'))
    second.queue.enqueue('upsert', { n: 6 })
    second.queue.connected(1, 3)
    await second.queue.idle()
    // 3 was applied before the reload (watermark): only 4, 5 and the new 6 go out, in order.
    expect(second.pushes.flat().map((m) => m.id)).toEqual([4, 5, 6])
    second.store.close()
  })

  it('settles by confirmation, rejects refused ones with the server error', async () => {
    const { store, queue } = await setup('settle')
    queue.start(store, [], 0)
    queue.connected(1, 0)
    const a = queue.enqueue('upsert', {})
    const b = queue.enqueue('patch', {})
    await queue.idle()
    queue.fail(2, { kind: 'NOT_FOUND', message: 'gone', details: { id: 'x' } })
    queue.confirmThrough(2)
    await expect(a.done).resolves.toBeUndefined()
    const err = await b.done.catch((e: unknown) => e)
    expect(err).toBeInstanceOf(MutationRejectedError)
    expect(err).toMatchObject({ kind: 'NOT_FOUND', details: { id: 'x' }, mutationId: 2, mutator: 'patch' })
    expect(queue.size).toBe(0)
    await queue.idle()
    expect(await store.loadPending()).toEqual([])
    store.close()
  })

  it('sends each mutation once per connection, and again after a reconnect', async () => {
    const { store, queue, pushes } = await setup('resend')
    queue.start(store, [], 0)
    queue.enqueue('upsert', {})
    await queue.idle()
    expect(pushes).toHaveLength(0)
    queue.connected(1, 0)
    queue.flush()
    expect(pushes.flat().map((m) => m.id)).toEqual([1])
    queue.disconnected()
    queue.connected(2, 0)
    expect(pushes.flat().map((m) => m.id)).toEqual([1, 1])
    queue.outOfOrder(0)
    expect(pushes.flat().map((m) => m.id)).toEqual([1, 1, 1])
    store.close()
  })

  it('splits large queues into frames of at most 1000 mutations', async () => {
    const { store, queue, pushes } = await setup('batch')
    queue.start(store, [], 0)
    for (let n = 0; n < 2500; n++) queue.enqueue('upsert', { n })
    await queue.idle()
    queue.connected(1, 0)
    expect(pushes.map((p) => p.length)).toEqual([MAX_PUSH_MUTATIONS, MAX_PUSH_MUTATIONS, 500])
    store.close()
  })

  it('times out only after being sent while online, and keeps the mutation queued', async () => {
    const { store, queue } = await setup('timeout', 30)
    queue.start(store, [], 0)
    const offline = queue.enqueue('upsert', {})
    await tick(60)
    queue.connected(1, 0)
    await expect(offline.done).rejects.toBeInstanceOf(MutationTimeoutError)
    expect(queue.size).toBe(1)
    queue.confirmThrough(1)
    expect(queue.size).toBe(0)
    store.close()
  })
})
