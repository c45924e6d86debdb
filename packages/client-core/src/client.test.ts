// The client over a hand-driven transport: poke buffering and application, optimistic writes held
// until their confirming poke, rollback, and rebase on top of remote pokes.
import { describe, expect, it } from 'vitest'
import { MutationRejectedError } from './errors'
import { setup, tick, uuid } from './testing/client-harness'
import { pokeFrames, snapshot } from './testing/fake-transport'

describe('poke application', () => {
  it('buffers parts and applies a poke whole at pokeEnd, ready after the seed', async () => {
    const { transport, tasks, subId } = await setup()
    expect(transport.sentOf('connect')).toHaveLength(1)
    expect(transport.sentOf('subscribe')[0]).toEqual({
      type: 'subscribe',
      subId,
      shape: 'entities',
      params: { type: 'Task' },
    })
    const frames = pokeFrames({
      cookie: 7,
      parts: [
        {
          subId,
          truncate: true,
          puts: [snapshot(uuid(1), { title: 'a' }), snapshot(uuid(2), { title: 'b' })],
        },
      ],
    })
    transport.deliver(frames[0]!, frames[1]!)
    expect(tasks.size).toBe(0)
    expect(tasks.isReady()).toBe(false)
    transport.deliver(frames[2]!)
    expect(tasks.isReady()).toBe(true)
    expect(tasks.get(uuid(1))?.value.title).toBe('a')
    expect(tasks.utils.cookie()).toBe(7)

    // A later poke: puts and dels, all at once.
    transport.deliver(
      ...pokeFrames({
        cookie: 9,
        baseCookie: 7,
        parts: [{ subId, puts: [snapshot(uuid(3), { title: 'c' })], dels: [uuid(1)] }],
      }),
    )
    expect([...tasks.keys()].sort()).toEqual([uuid(2), uuid(3)])
    expect(tasks.utils.cookie()).toBe(9)
  })

  it('ignores a poke whose end never came, and parts of unknown subscriptions', async () => {
    const { transport, tasks, subId } = await setup()
    const frames = pokeFrames({
      cookie: 3,
      parts: [{ subId, truncate: true, puts: [snapshot(uuid(1), { title: 'x' })] }],
    })
    transport.deliver(frames[0]!, frames[1]!)
    transport.deliver(
      ...pokeFrames({ cookie: 4, parts: [{ subId: 'nope', puts: [snapshot(uuid(2), { title: 'y' })] }] }),
    )
    expect(tasks.size).toBe(0)
    // Unknown frame types and extra fields are ignored.
    transport.deliver({ type: 'somethingNew', x: 1 })
    transport.deliver(
      ...pokeFrames({
        cookie: 5,
        parts: [{ subId, truncate: true, puts: [snapshot(uuid(3), { title: 'z' })] }],
      }),
    )
    expect([...tasks.keys()]).toEqual([uuid(3)])
  })

  it('replaces every row on a re-seed (truncate)', async () => {
    const { transport, tasks, subId } = await setup()
    transport.deliver(
      ...pokeFrames({
        cookie: 2,
        parts: [
          {
            subId,
            truncate: true,
            puts: [snapshot(uuid(1), { title: 'a' }), snapshot(uuid(2), { title: 'b' })],
          },
        ],
      }),
    )
    transport.deliver(
      ...pokeFrames({
        cookie: 50,
        parts: [{ subId, truncate: true, puts: [snapshot(uuid(3), { title: 'c' })] }],
      }),
    )
    expect([...tasks.keys()]).toEqual([uuid(3)])
  })
})

describe('optimistic writes', () => {
  it('holds an insert until the poke covering it, then shows the server row without a gap', async () => {
    const { transport, tasks, subId, clientId } = await setup()
    transport.deliver(...pokeFrames({ cookie: 2, parts: [{ subId, truncate: true }] }))
    const events: string[] = []
    tasks.subscribeChanges((changes) => {
      for (const c of changes) events.push(`${c.type}:${c.value.version}`)
    })
    let settled = false
    const tx = tasks.insert({ id: uuid(1), type: 'Task', value: { title: 'mine' } })
    void tx.isPersisted.promise.then(() => {
      settled = true
    })
    expect(tasks.get(uuid(1))?.$synced).toBe(false)
    await tick()
    expect(transport.sentOf('push')[0]?.mutations).toEqual([
      { id: 1, name: 'upsert', args: { id: uuid(1), type: 'Task', value: { title: 'mine' }, ifMatch: 0 } },
    ])
    // A poke that does not cover it changes nothing visible for it.
    transport.deliver(
      ...pokeFrames({ cookie: 3, parts: [{ subId, puts: [snapshot(uuid(2), { title: 'theirs' })] }] }),
    )
    await tick()
    expect(settled).toBe(false)
    expect(tasks.get(uuid(1))?.$synced).toBe(false)
    transport.deliver(
      ...pokeFrames({
        cookie: 4,
        parts: [
          { subId, puts: [snapshot(uuid(1), { title: 'mine' }, { version: 1, clientId, mutationId: 1 })] },
        ],
        lmids: { [clientId]: 1 },
      }),
    )
    await tx.isPersisted.promise
    expect(tasks.get(uuid(1))).toMatchObject({ $synced: true, version: 1, mutationId: 1 })
    expect(tasks.get(uuid(2))?.value.title).toBe('theirs')
    expect(events.filter((e) => e.startsWith('delete'))).toEqual([])
  })

  it('rolls back a refused mutation and rejects with the server error', async () => {
    const { transport, tasks, subId, clientId } = await setup()
    transport.deliver(
      ...pokeFrames({
        cookie: 2,
        parts: [{ subId, truncate: true, puts: [snapshot(uuid(1), { title: 'old' })] }],
      }),
    )
    const tx = tasks.update(uuid(1), (d) => {
      d.value.title = 'new'
    })
    expect(tasks.get(uuid(1))?.value.title).toBe('new')
    await tick()
    expect(transport.sentOf('push')[0]?.mutations[0]).toMatchObject({
      name: 'patch',
      args: { id: uuid(1), value: { title: 'new' } },
    })
    transport.deliver({
      type: 'mutationError',
      clientId,
      id: 1,
      error: { kind: 'CONFLICT', message: 'changed', details: { id: uuid(1), current: 3 } },
    })
    const err = await tx.isPersisted.promise.catch((e: unknown) => e)
    expect(err).toBeInstanceOf(MutationRejectedError)
    expect(err).toMatchObject({ kind: 'CONFLICT', details: { current: 3 }, mutationId: 1, mutator: 'patch' })
    expect(tasks.get(uuid(1))?.value.title).toBe('old')
  })

  it('keeps pending effects on top of incoming pokes, in order, until each is confirmed (rebase)', async () => {
    const { transport, tasks, subId, clientId } = await setup()
    transport.deliver(
      ...pokeFrames({
        cookie: 2,
        parts: [
          {
            subId,
            truncate: true,
            puts: [snapshot(uuid(1), { title: 'v0' }), snapshot(uuid(2), { title: 'y0' })],
          },
        ],
      }),
    )
    const t1 = tasks.update(uuid(1), (d) => {
      d.value.title = 'v1'
    })
    const t2 = tasks.update(uuid(1), (d) => {
      d.value.done = true
    })
    await tick()
    expect(tasks.get(uuid(1))?.value).toEqual({ title: 'v1', done: true })
    // Someone else's edits arrive: ours stay on top; theirs are held while ours persist.
    transport.deliver(
      ...pokeFrames({
        cookie: 3,
        parts: [
          {
            subId,
            puts: [
              snapshot(uuid(1), { title: 'other' }, { version: 2 }),
              snapshot(uuid(2), { title: 'y1' }, { version: 2 }),
            ],
          },
        ],
      }),
    )
    expect(tasks.get(uuid(1))?.value).toEqual({ title: 'v1', done: true })
    expect(tasks.get(uuid(2))?.value.title).toBe('y0')
    // A re-seed applies at once, with our pending effects still on top.
    transport.deliver(
      ...pokeFrames({
        cookie: 4,
        parts: [
          {
            subId,
            truncate: true,
            puts: [
              snapshot(uuid(1), { title: 'other' }, { version: 2 }),
              snapshot(uuid(2), { title: 'y1' }, { version: 2 }),
            ],
          },
        ],
      }),
    )
    expect(tasks.get(uuid(1))?.value).toEqual({ title: 'v1', done: true })
    expect(tasks.get(uuid(2))?.value.title).toBe('y1')
    // The first is confirmed: the second still shows on top.
    transport.deliver(
      ...pokeFrames({
        cookie: 5,
        parts: [{ subId, puts: [snapshot(uuid(1), { title: 'v1' }, { version: 3 })] }],
        lmids: { [clientId]: 1 },
      }),
    )
    await t1.isPersisted.promise
    expect(tasks.get(uuid(1))?.value).toEqual({ title: 'v1', done: true })
    transport.deliver(
      ...pokeFrames({
        cookie: 6,
        parts: [{ subId, puts: [snapshot(uuid(1), { title: 'v1', done: true }, { version: 4 })] }],
        lmids: { [clientId]: 2 },
      }),
    )
    await t2.isPersisted.promise
    expect(tasks.get(uuid(1))).toMatchObject({
      $synced: true,
      version: 4,
      value: { title: 'v1', done: true },
    })
  })

  it('keeps an offline write visible however long it waits, and shows how old it is', async () => {
    const { transport, tasks, subId, client, clientId } = await setup()
    transport.deliver(...pokeFrames({ cookie: 2, parts: [{ subId, truncate: true }] }))
    transport.drop()
    const before = Date.now()
    const offline = tasks.insert({ id: uuid(1), type: 'Task', value: { title: 'offline' } })
    await tick(300)
    // Nothing rolls back on a timer: the write waits for the server, and the status says since when.
    expect(offline.state).toBe('persisting')
    expect(tasks.get(uuid(1))?.value.title).toBe('offline')
    const status = client.status.getSnapshot()
    expect(status.pending).toBe(1)
    expect(status.oldestPendingAt?.epochMilliseconds).toBeGreaterThanOrEqual(before)
    expect(status.oldestPendingAt?.epochMilliseconds).toBeLessThanOrEqual(Date.now() - 250)

    transport.open()
    await tick()
    transport.deliver({ type: 'connected', protocolVersion: 1, watermark: 0, cookie: 2 })
    const resub = transport.sentOf('subscribe')[1]?.subId ?? ''
    expect(transport.sentOf('push')).toHaveLength(1)
    transport.deliver(
      ...pokeFrames({
        cookie: 3,
        baseCookie: 2,
        parts: [
          { subId: resub, puts: [snapshot(uuid(1), { title: 'offline' }, { clientId, mutationId: 1 })] },
        ],
        lmids: { [clientId]: 1 },
      }),
    )
    await offline.isPersisted.promise
    expect(tasks.get(uuid(1))).toMatchObject({ $synced: true, version: 1 })
    expect(client.status.getSnapshot()).toMatchObject({ pending: 0, oldestPendingAt: null })
  })
})
