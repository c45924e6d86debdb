// The client over a hand-driven transport: poke buffering and application, optimistic writes held
// until their confirming poke, rollback, rebase on top of remote pokes, reconnects and timeouts.
import { describe, expect, it } from 'vitest'
import { createClient, type LumenizeClient } from './client'
import {
  ClientErrorKind,
  type LumenizeClientError,
  MutationRejectedError,
  RpcNetworkError,
  TokenError,
} from './errors'
import { FakeTransport, pokeFrames, snapshot } from './testing/fake-transport'

type Task = { title: string; done?: boolean }
const uuid = (n: number): string => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`
const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms))

/** A client over a hand-driven transport, in memory. */
const bare = (star: string, extra: Partial<Parameters<typeof createClient>[0]> = {}) => {
  const transport = new FakeTransport()
  const client = createClient({ url: 'http://fake', star, persistence: 'memory', transport, ...extra })
  return { transport, client }
}

async function setup() {
  const transport = new FakeTransport()
  const client: LumenizeClient = createClient({
    url: 'http://fake',
    star: 'unit.test.star',
    persistence: 'memory',
    transport,
  })
  const tasks = client.shape<Task>('entities', { type: 'Task' })
  await client.ready
  transport.open()
  await tick()
  transport.deliver({ type: 'connected', protocolVersion: 1, watermark: 0, cookie: 1 })
  const subId = transport.sentOf('subscribe')[0]?.subId ?? ''
  const clientId = client.clientId
  return { transport, client, tasks, subId, clientId }
}

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

describe('reconnects', () => {
  it('resubscribes with the cookie, resends only what the watermark lacks, settles acked ones after resume', async () => {
    const { transport, tasks, subId, client } = await setup()
    transport.deliver(...pokeFrames({ cookie: 5, parts: [{ subId, truncate: true }] }))
    const first = tasks.insert({ id: uuid(1), type: 'Task', value: { title: 'one' } })
    await tick()
    transport.drop()
    expect(client.status.getSnapshot()).toMatchObject({ state: 'connecting', reason: null })
    const second = tasks.insert({ id: uuid(2), type: 'Task', value: { title: 'two' } })
    await tick()
    expect(transport.sentOf('push')).toHaveLength(1)

    transport.open()
    await tick()
    expect(transport.sentOf('connect')).toHaveLength(2)
    // The server applied 1 but its confirmation was lost with the socket.
    transport.deliver({ type: 'connected', protocolVersion: 1, watermark: 1, cookie: 6 })
    const resub = transport.sentOf('subscribe')[1]
    expect(resub).toMatchObject({ shape: 'entities', cookie: 5 })
    expect(transport.sentOf('push')[1]?.mutations.map((m) => m.id)).toEqual([2])
    let firstDone = false
    void first.isPersisted.promise.then(() => {
      firstDone = true
    })
    await tick()
    // Not settled before the resumed shape holds its effect (no blink).
    expect(firstDone).toBe(false)
    expect(tasks.has(uuid(1))).toBe(true)
    transport.deliver(
      ...pokeFrames({
        cookie: 6,
        baseCookie: 5,
        parts: [{ subId: resub?.subId ?? '', puts: [snapshot(uuid(1), { title: 'one' })] }],
      }),
    )
    await first.isPersisted.promise
    // Still shown: TanStack DB holds sync commits while another write (the second) persists.
    expect(tasks.get(uuid(1))?.value.title).toBe('one')
    expect(second.state).toBe('persisting')
    transport.deliver(
      ...pokeFrames({
        cookie: 7,
        baseCookie: 6,
        parts: [{ subId: resub?.subId ?? '', puts: [snapshot(uuid(2), { title: 'two' })] }],
        lmids: { [client.clientId]: 2 },
      }),
    )
    await second.isPersisted.promise
    expect(tasks.get(uuid(1))?.$synced).toBe(true)
    expect(tasks.get(uuid(2))?.$synced).toBe(true)
    expect(client.status.getSnapshot()).toMatchObject({ state: 'synced', pending: 0 })
  })

  it('resends from watermark + 1 after OUT_OF_ORDER', async () => {
    const { transport, tasks, subId } = await setup()
    transport.deliver(...pokeFrames({ cookie: 2, parts: [{ subId, truncate: true }] }))
    tasks.insert({ id: uuid(1), type: 'Task', value: { title: 'a' } })
    tasks.insert({ id: uuid(2), type: 'Task', value: { title: 'b' } })
    await tick()
    expect(transport.sentOf('push').flatMap((p) => p.mutations.map((m) => m.id))).toEqual([1, 2])
    transport.deliver({
      type: 'error',
      kind: 'OUT_OF_ORDER',
      message: 'gap',
      details: { watermark: 0, id: 1 },
    })
    expect(
      transport
        .sentOf('push')
        .at(-1)
        ?.mutations.map((m) => m.id),
    ).toEqual([1, 2])
  })

  it('reports status changes through subscribe/getSnapshot', async () => {
    const { transport, client } = bare('unit.test.status')
    const seen: string[] = []
    client.status.subscribe(() => {
      const now = client.status.getSnapshot().state
      if (seen.at(-1) !== now) seen.push(now)
    })
    const snap = client.status.getSnapshot()
    expect(snap).toBe(client.status.getSnapshot())
    expect(snap).toMatchObject({ state: 'connecting', pending: 0, lastSyncedAt: null, source: 'cache' })
    const docs = client.shape('entities', { type: 'Doc' })
    docs.insert({ type: 'Doc', value: {} })
    await client.ready
    expect(client.status.getSnapshot().pending).toBe(1)
    transport.open()
    await tick()
    transport.deliver({ type: 'connected', protocolVersion: 1, watermark: 0, cookie: 1 })
    transport.deliver(
      ...pokeFrames({ cookie: 1, parts: [{ subId: transport.sentOf('subscribe')[0]?.subId ?? '' }] }),
    )
    expect(client.status.getSnapshot()).toMatchObject({ state: 'synced', source: 'server' })
    expect(client.status.getSnapshot().lastSyncedAt).not.toBeNull()
    transport.drop()
    expect(seen).toEqual(['connecting', 'syncing', 'synced', 'connecting'])
    await client.close()
  })
})

describe('cold starts, auth and failures', () => {
  const until = (
    client: LumenizeClient,
    check: (s: ReturnType<LumenizeClient['status']['getSnapshot']>) => boolean,
  ) =>
    new Promise<void>((resolve) => {
      if (check(client.status.getSnapshot())) return resolve()
      const stop = client.status.subscribe(() => {
        if (check(client.status.getSnapshot())) {
          stop()
          resolve()
        }
      })
    })

  it('starts cold with no cache and no server: ready, offline, never synced, writable', async () => {
    const { transport, client } = bare('unit.test.cold')
    const tasks = client.shape<Task>('entities', { type: 'Task' })
    await client.ready
    expect(tasks.isReady()).toBe(false)
    // The first attempt fails: offline, and the shape is shown (empty) so the app can render and write.
    transport.drop(1006)
    expect(client.status.getSnapshot()).toMatchObject({
      state: 'offline',
      reason: 'serverUnreachable',
      lastSyncedAt: null,
      source: 'cache',
      pending: 0,
    })
    expect(tasks.isReady()).toBe(true)
    tasks.insert({ id: uuid(1), type: 'Task', value: { title: 'written offline' } })
    await tick()
    expect(tasks.get(uuid(1))?.value.title).toBe('written offline')
    expect(client.status.getSnapshot().pending).toBe(1)

    // Then the server appears: seeded, the offline write pushed and confirmed.
    transport.open()
    await tick()
    transport.deliver({ type: 'connected', protocolVersion: 1, watermark: 0, cookie: 1 })
    const subId = transport.sentOf('subscribe')[0]?.subId ?? ''
    expect(transport.sentOf('push')[0]?.mutations.map((m) => m.id)).toEqual([1])
    transport.deliver(
      ...pokeFrames({
        cookie: 3,
        parts: [
          {
            subId,
            truncate: true,
            puts: [
              snapshot(uuid(1), { title: 'written offline' }, { clientId: client.clientId, mutationId: 1 }),
              snapshot(uuid(2), { title: 'from the server' }),
            ],
          },
        ],
        lmids: { [client.clientId]: 1 },
      }),
    )
    await until(client, (s) => s.pending === 0 && s.lastSyncedAt !== null)
    expect(client.status.getSnapshot()).toMatchObject({ state: 'synced', source: 'server' })
    expect([...tasks.keys()].sort()).toEqual([uuid(1), uuid(2)])
    await client.close()
    expect(client.status.getSnapshot().state).toBe('closed')
  })

  it('asks the token callback again after a refusal (needsAuth), then reconnects with the new token', async () => {
    const transport = new FakeTransport()
    const tokens = ['expired', 'fresh']
    let calls = 0
    const client = createClient({
      url: 'http://fake',
      star: 'unit.test.auth',
      persistence: 'memory',
      transport,
      token: () => tokens[Math.min(calls++, tokens.length - 1)] ?? '',
      reconnect: { minReconnectionDelay: 20 },
    })
    client.shape('entities', { type: 'Task' })
    await client.ready
    transport.open()
    await tick()
    expect(transport.sentOf('connect')[0]?.token).toBe('expired')
    transport.deliver({ type: 'error', kind: 'UNAUTHORIZED', message: 'expired' })
    transport.drop(4401)
    expect(client.status.getSnapshot().state).toBe('needsAuth')
    expect(transport.disconnectCalls).toBe(1)
    // The callback is asked again after a backoff; then the client reconnects.
    await until(client, (s) => s.state === 'connecting')
    expect(transport.connectCalls).toBe(2)
    transport.open()
    await tick()
    expect(transport.sentOf('connect').at(-1)?.token).toBe('fresh')
    transport.deliver({ type: 'connected', protocolVersion: 1, watermark: 0, cookie: 1 })
    expect(client.status.getSnapshot().state).toBe('syncing')
    await client.close()
  })

  it('stays in needsAuth while the token callback fails, reporting each failure typed', async () => {
    const transport = new FakeTransport()
    const errors: LumenizeClientError[] = []
    const client = createClient({
      url: 'http://fake',
      star: 'unit.test.auth2',
      persistence: 'memory',
      transport,
      token: () => Promise.reject(new Error('signed out')),
      reconnect: { minReconnectionDelay: 20 },
      onError: (e) => errors.push(e),
    })
    await client.ready
    transport.open()
    await until(client, (s) => s.state === 'needsAuth')
    expect(errors[0]).toBeInstanceOf(TokenError)
    expect(errors[0]?.kind).toBe(ClientErrorKind.tokenFailed)
    // Each retry fails again and is reported; the state stays.
    while (errors.length < 3) await tick(10)
    expect(errors.every((e) => e instanceof TokenError)).toBe(true)
    expect(client.status.getSnapshot().state).toBe('needsAuth')
    await client.close()
  })

  it('rejects RPC calls that cannot reach the server with RpcNetworkError, and reports unawaited ones', async () => {
    const errors: LumenizeClientError[] = []
    let heard!: () => void
    const reported = new Promise<void>((resolve) => {
      heard = resolve
    })
    const client = createClient({
      url: 'http://127.0.0.1:9',
      star: 'unit.test.rpc',
      persistence: 'memory',
      transport: new FakeTransport(),
      onError: (e) => {
        errors.push(e)
        heard()
      },
    })
    const awaited = await client.history(uuid(1)).catch((e: unknown) => e)
    expect(awaited).toBeInstanceOf(RpcNetworkError)
    expect(awaited).toMatchObject({ kind: ClientErrorKind.rpcNetwork, details: { method: 'history' } })
    // Awaited: the caller has it, onError does not.
    await tick(20)
    expect(errors).toEqual([])
    // Not awaited: onError hears it.
    void client.asOf('entities', { type: 'Task' }, Date.now())
    await reported
    expect(errors[0]).toBeInstanceOf(RpcNetworkError)
    await client.close()
  })

  it('refuses the version for good after 4426', async () => {
    const { transport, client } = bare('unit.test.version')
    await client.ready
    transport.open()
    await tick()
    transport.deliver({ type: 'error', kind: 'PROTOCOL_VERSION', message: 'too old' })
    transport.drop(4426)
    expect(client.status.getSnapshot()).toMatchObject({ state: 'versionMismatch', reason: null })
    expect(client.status.getSnapshot().error?.kind).toBe('PROTOCOL_VERSION')
    await client.close()
  })
})
