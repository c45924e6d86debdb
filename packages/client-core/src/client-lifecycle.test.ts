// The client's lifecycle over a hand-driven transport: reconnects and resume, status, cold starts
// without a server, needsAuth and token retries, version refusal, RPC network failures.
import { describe, expect, it } from 'vitest'
import { createClient, type LumenizeClient } from './client'
import { ClientErrorKind, type LumenizeClientError, RpcNetworkError, TokenError } from './errors'
import { bare, setup, type Task, tick, uuid } from './testing/client-harness'
import { FakeTransport, pokeFrames, snapshot } from './testing/fake-transport'

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
