// Against the real server on workerd: convergence, optimistic writes confirmed or rolled back,
// custom mutators, and shared/released subscriptions.
import { createLiveQueryCollection, createTransaction, eq } from '@tanstack/db'
import { describe, expect, it } from 'vitest'
import { type EntityRow, MutationRejectedError, stripVirtual } from '../src/index'
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

const plain = (rows: Iterable<EntityRow>) =>
  [...rows].map((r) => stripVirtual(r)).sort((a, b) => a.id.localeCompare(b.id))

async function online(c: TestClient): Promise<void> {
  await c.ready
  await eventually(() => expect(c.status.getSnapshot().state).toBe('synced'))
}

describe('client-core against the real server', () => {
  it('two clients converge on inserts, updates and deletes, equal to a fresh query', async () => {
    const star = freshStar()
    const a = client(star, { clientGroupId: 'a' })
    const b = client(star, { clientGroupId: 'b', persistence: 'memory' })
    const ta = a.shape<{ title: string; status?: string }>('entities', { type: 'Task' })
    const tb = b.shape<{ title: string; status?: string }>('entities', { type: 'Task' })
    await Promise.all([online(a), online(b), ta.toArrayWhenReady(), tb.toArrayWhenReady()])

    const ids = Array.from({ length: 5 }, () => crypto.randomUUID())
    for (const [i, id] of ids.entries()) ta.insert({ id, type: 'Task', value: { title: `t${i}` } })
    await eventually(() => expect(tb.size).toBe(5))
    tb.update(ids[0]!, (d) => {
      d.value.status = 'doing'
    })
    ta.update(ids[1]!, (d) => {
      d.value.title = 'renamed'
    })
    tb.delete(ids[2]!)

    const server = async () =>
      (await rpc<{ entities: EntityRow[] }>(star, 'query', { type: 'Task' })).entities.sort((x, y) =>
        x.id.localeCompare(y.id),
      )
    await eventually(async () => {
      const truth = await server()
      expect(truth).toHaveLength(4)
      expect(plain(ta.values())).toEqual(truth)
      expect(plain(tb.values())).toEqual(truth)
    })
    expect(ta.get(ids[0]!)?.value.status).toBe('doing')
    expect(tb.get(ids[1]!)?.value.title).toBe('renamed')
    expect(a.status.getSnapshot().pending).toBe(0)
    expect(a.status.getSnapshot().lastSyncedAt).not.toBeNull()
  })

  it('shows an insert synchronously and replaces it with the server row when confirmed', async () => {
    const star = freshStar()
    const a = client(star, { clientGroupId: 'a', persistence: 'memory' })
    const docs = a.shape('entities', { type: 'Doc' })
    await online(a)
    await docs.toArrayWhenReady()
    const before = Date.now()
    const tx = docs.insert({ type: 'Doc', value: { kind: 'note', text: 'hi' } })
    const [row] = [...docs.values()]
    // Visible at once, optimistic, with the client's guesses.
    expect(row?.value).toEqual({ kind: 'note', text: 'hi' })
    expect(row?.$synced).toBe(false)
    expect(row?.version).toBe(0)
    expect(row?.mutationId).toBeNull()
    await tx.isPersisted.promise
    // Right after the promise: the server's row, no gap in between.
    const confirmed = docs.get(row!.id)
    expect(confirmed?.$synced).toBe(true)
    expect(confirmed?.version).toBe(1)
    expect(confirmed?.mutationId).toBe(1)
    expect(confirmed?.clientId).toBe(a.clientId)
    expect(confirmed?.validFrom).toBeGreaterThanOrEqual(before - 60_000)
    const history = await a.history(row!.id)
    expect(history.map((h) => h.version)).toEqual([1])
    expect(confirmed?.validFrom).toBe(history[0]?.validFrom)
  })

  it('never shows a gap between the optimistic and the confirmed row', async () => {
    const star = freshStar()
    const a = client(star, { clientGroupId: 'a', persistence: 'memory' })
    const docs = a.shape('entities', { type: 'Doc' })
    await online(a)
    await docs.toArrayWhenReady()
    const sizes: number[] = []
    const sub = docs.subscribeChanges(() => sizes.push(docs.size))
    const txs = Array.from({ length: 10 }, (_, i) => docs.insert({ type: 'Doc', value: { n: i } }))
    await Promise.all(txs.map((t) => t.isPersisted.promise))
    await eventually(() => expect([...docs.values()].every((r) => r.$synced)).toBe(true))
    sub.unsubscribe()
    // Sizes only grow: a row never disappeared between its optimistic and confirmed versions.
    expect(sizes).toEqual([...sizes].sort((x, y) => x - y))
    expect(docs.size).toBe(10)
  })

  it('rolls back a rejected write and rejects with the server error', async () => {
    const star = freshStar()
    const a = client(star, { clientGroupId: 'a', persistence: 'memory' })
    const tasks = a.shape<{ title: string }>('entities', { type: 'Task' })
    await online(a)
    await tasks.toArrayWhenReady()
    const ok = tasks.insert({ type: 'Task', value: { title: 'valid' } })
    await ok.isPersisted.promise
    const id = [...tasks.keys()][0]!

    // An update the schema refuses: the old value comes back.
    const bad = tasks.update(id, (d) => {
      d.value.title = ''
    })
    expect(tasks.get(id)?.value.title).toBe('')
    const err = await bad.isPersisted.promise.catch((e: unknown) => e)
    expect(err).toBeInstanceOf(MutationRejectedError)
    expect((err as MutationRejectedError).kind).toBe('VALIDATION_FAILED')
    expect((err as MutationRejectedError).mutator).toBe('patch')
    expect(tasks.get(id)?.value.title).toBe('valid')

    // An insert the server refuses disappears.
    const refused = tasks.insert({ type: 'Task', value: { title: '' } })
    expect(tasks.size).toBe(2)
    await expect(refused.isPersisted.promise).rejects.toBeInstanceOf(MutationRejectedError)
    expect(tasks.size).toBe(1)

    // A custom mutator the server refuses.
    const badId = crypto.randomUUID()
    const p = a.mutate.badTask({ id: badId })
    expect(tasks.has(badId)).toBe(true)
    const e2 = await p.catch((e: unknown) => e)
    expect(e2).toMatchObject({ kind: 'VALIDATION_FAILED', mutator: 'badTask' })
    expect(tasks.has(badId)).toBe(false)
    expect(a.status.getSnapshot().pending).toBe(0)
  })

  it('runs custom mutators optimistically on the client and for real on the server', async () => {
    const star = freshStar()
    const a = client(star, { clientGroupId: 'a', persistence: 'memory' })
    const b = client(star, { clientGroupId: 'b', persistence: 'memory' })
    const ta = a.shape<{ title: string; status: string }>('entities', { type: 'Task' })
    const todo = a.shape('entities', { type: 'Task', where: { status: 'todo' } })
    const tb = b.shape<{ title: string; status: string }>('entities', { type: 'Task' })
    await Promise.all([
      online(a),
      online(b),
      ta.toArrayWhenReady(),
      todo.toArrayWhenReady(),
      tb.toArrayWhenReady(),
    ])

    const id = crypto.randomUUID()
    const added = a.mutate.addTask({ id, title: 'from a mutator' })
    // The same mutator code ran here: both matching collections show it at once.
    expect(ta.get(id)?.value).toEqual({ title: 'from a mutator', status: 'todo' })
    expect(todo.has(id)).toBe(true)
    await added
    expect(ta.get(id)?.$synced).toBe(true)
    await eventually(() => expect(tb.get(id)?.value.status).toBe('todo'))

    const finished = a.mutate.finishAll({ status: 'todo' })
    // Optimistically: done, and out of the "todo" shape.
    expect(ta.get(id)?.value.status).toBe('done')
    expect(todo.has(id)).toBe(false)
    await finished
    await eventually(() => expect(tb.get(id)?.value.status).toBe('done'))
    expect(todo.has(id)).toBe(false)
    await expect(a.mutate.addTask({ id: 42 } as never)).rejects.toMatchObject({ kind: 'VALIDATION_FAILED' })
  })

  it('joins and live queries work on shape collections, and a manual transaction is one mutation', async () => {
    const star = freshStar()
    const a = client(star, { clientGroupId: 'a', persistence: 'memory' })
    const people = a.shape<{ name: string; email: string }>('entities', { type: 'Person' })
    const tasks = a.shape<{ title: string; assignee?: string }>('entities', { type: 'Task' })
    await online(a)
    await Promise.all([people.toArrayWhenReady(), tasks.toArrayWhenReady()])
    const ada = crypto.randomUUID()
    const tx = createTransaction({ autoCommit: false, mutationFn: ({ transaction }) => a.push(transaction) })
    tx.mutate(() => {
      people.insert({ id: ada, type: 'Person', value: { name: 'Ada', email: 'ada@example.com' } })
      tasks.insert({ type: 'Task', value: { title: 'Engine', assignee: ada } })
    })
    const joined = createLiveQueryCollection((q) =>
      q
        .from({ t: tasks })
        .join({ p: people }, ({ t, p }) => eq(t.value.assignee, p.id))
        .select(({ t, p }) => ({ title: t.value.title, who: p?.value.name })),
    )
    await joined.toArrayWhenReady()
    const view = () => joined.toArray.map(({ title, who }) => ({ title, who }))
    expect(view()).toEqual([{ title: 'Engine', who: 'Ada' }])
    await tx.commit()
    // Both rows came from one atomic `transaction` mutation.
    const h = await a.history(ada)
    expect(h[0]?.mutationId).toBe(1)
    expect(view()).toEqual([{ title: 'Engine', who: 'Ada' }])
    await joined.cleanup()
  })

  it('shares one subscription per (name, params) and unsubscribes on the last release', async () => {
    const star = freshStar()
    const transport = new TestTransport(serverUrl(), star)
    const a = client(star, { clientGroupId: 'a', persistence: 'memory', transport })
    const one = a.shape('entities', { type: 'Doc' })
    const two = a.shape('entities', { type: 'Doc' })
    expect(two).toBe(one)
    await online(a)
    await one.toArrayWhenReady()
    expect(transport.sent.filter((m) => m.type === 'subscribe')).toHaveLength(1)
    one.utils.release()
    expect(transport.sent.filter((m) => m.type === 'unsubscribe')).toHaveLength(0)
    two.utils.release()
    await eventually(() => expect(transport.sent.filter((m) => m.type === 'unsubscribe')).toHaveLength(1))
    // A new acquisition is a new subscription.
    const three = a.shape('entities', { type: 'Doc' })
    expect(three).not.toBe(one)
    await three.toArrayWhenReady()
  })
})
