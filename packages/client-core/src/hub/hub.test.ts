// The hub with a hand-driven upstream socket and tabs on real MessageChannel ports: a shape two tabs
// use is subscribed once and seeded to the second from memory; it is released only a while after
// the last tab lets it go; a tab's mutations are stored before its siblings hear of them; pokes
// reach each tab under its own subscription ids.
import 'fake-indexeddb/auto'
import { PORT_PROTOCOL_VERSION, type PortHubConfig } from '@lumenize/protocol'
import { afterEach, describe, expect, it } from 'vitest'
import { openCache } from '../cache/db'
import { IdbStore } from '../cache/store'
import { defaultLocks } from '../locks'
import { FakeNetwork } from '../testing/fake-network'
import { FakeTransport, pokeFrames, snapshot } from '../testing/fake-transport'
import { Hub } from './hub'
import { messagePort, messagesOf, type PortLike } from './port'

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms))
const uuid = (n: number): string => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`
const hubs: Hub[] = []
afterEach(async () => {
  await Promise.all(hubs.splice(0).map((h) => h.close()))
})

function makeHub(star: string, releaseAfterMs = 100) {
  const upstream = new FakeTransport()
  const hub = new Hub({
    url: 'http://fake',
    star,
    buildId: 'b1',
    persistence: 'indexeddb',
    releaseAfterMs,
    transport: upstream,
    network: new FakeNetwork(),
  })
  hubs.push(hub)
  return { hub, upstream }
}

/** A tab on a MessageChannel: what it received, and a way to talk. */
async function tab(hub: Hub, star: string, clientId: string) {
  // A live tab holds its lock (the hub waits on it to see the tab go).
  const lock = await defaultLocks()(hub.locks.tab(clientId))
  const channel = new MessageChannel()
  hub.connect(messagePort(channel.port2))
  const port: PortLike = messagePort(channel.port1)
  const received: Array<Record<string, unknown>> = []
  port.listen((m) => {
    for (const x of messagesOf(m)) {
      const msg = x as Record<string, unknown>
      received.push(msg)
      // A tab without a token callback answers the hub's token requests with none.
      if (msg.type === 'tokenRequest') port.postMessage({ type: 'token', requestId: msg.requestId })
    }
  })
  const config: PortHubConfig = { url: 'http://fake', star, persistence: 'indexeddb' }
  port.postMessage({ type: 'hello', portVersion: PORT_PROTOCOL_VERSION, buildId: 'b1', clientId, config })
  await until(() => received.some((m) => m.type === 'welcome'))
  port.postMessage({ type: 'connect', protocolVersion: 1, clientGroupId: 'g', clientId })
  await until(() => received.some((m) => m.type === 'connected'))
  return {
    received,
    send: (m: unknown) => port.postMessage(m),
    of: (type: string) => received.filter((m) => m.type === type),
    close: () => {
      channel.port1.close()
      lock?.release()
    },
  }
}

async function until(check: () => boolean, timeoutMs = 4_000): Promise<void> {
  const where = new Error().stack?.split('\n')[2]
  const start = Date.now()
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out ${where}`)
    await tick(5)
  }
}

/** The hub's upstream socket opens and the server accepts it. */
async function online(upstream: FakeTransport) {
  await until(() => upstream.connectCalls > 0)
  upstream.open()
  await until(() => upstream.sentOf('connect').length > 0)
  upstream.deliver({ type: 'connected', protocolVersion: 1, watermark: 0, cookie: 1 })
}

describe('the hub', () => {
  it('subscribes a shape two tabs use once, seeds the second from memory, releases it late', async () => {
    const star = `unit.hub.s${crypto.randomUUID().slice(0, 8)}`
    const { hub, upstream } = makeHub(star, 150)
    const a = await tab(hub, star, 'tab-a')
    await online(upstream)
    a.send({ type: 'subscribe', subId: 'a1', shape: 'entities', params: { type: 'Task' } })
    await until(() => upstream.sentOf('subscribe').length === 1)
    const sub = upstream.sentOf('subscribe')[0]?.subId ?? ''
    upstream.deliver(
      ...pokeFrames({
        cookie: 5,
        parts: [{ subId: sub, truncate: true, puts: [snapshot(uuid(1), { title: 'x' })] }],
      }),
    )
    await until(() => a.of('pokeEnd').length === 1)
    expect(a.of('pokePart')[0]).toMatchObject({ subId: 'a1', truncate: true })

    // The second tab: seeded at once from the hub's copy, with no new subscription upstream.
    const b = await tab(hub, star, 'tab-b')
    b.send({ type: 'subscribe', subId: 'b7', shape: 'entities', params: { type: 'Task' } })
    await until(() => b.of('pokeEnd').length === 1)
    expect(b.of('pokePart')[0]).toMatchObject({
      subId: 'b7',
      truncate: true,
      puts: [expect.objectContaining({ id: uuid(1) })],
    })
    expect(upstream.sentOf('subscribe')).toHaveLength(1)

    // A poke reaches both, each under its own subscription id.
    upstream.deliver(
      ...pokeFrames({
        cookie: 6,
        baseCookie: 5,
        parts: [{ subId: sub, puts: [snapshot(uuid(2), { title: 'y' })] }],
      }),
    )
    await until(() => a.of('pokeEnd').length === 2 && b.of('pokeEnd').length === 2)
    expect(a.of('pokePart').at(-1)).toMatchObject({ subId: 'a1' })
    expect(b.of('pokePart').at(-1)).toMatchObject({ subId: 'b7' })

    // Both let it go: the upstream subscription stays a while, then goes.
    a.send({ type: 'unsubscribe', subId: 'a1' })
    b.send({ type: 'unsubscribe', subId: 'b7' })
    await tick(50)
    expect(upstream.sentOf('unsubscribe')).toHaveLength(0)
    await until(() => upstream.sentOf('unsubscribe').length === 1)
    expect(upstream.sentOf('unsubscribe')[0]).toMatchObject({ subId: sub })
  })

  it("shows a tab's mutations to its siblings at once, stores and pushes them once under the tab's id, and settles them for all", async () => {
    const star = `unit.hub.s${crypto.randomUUID().slice(0, 8)}`
    const { hub, upstream } = makeHub(star)
    const a = await tab(hub, star, 'tab-a')
    const b = await tab(hub, star, 'tab-b')
    const store = new IdbStore(await openCache(star, 'default'), () => undefined)
    const mutations = [
      { id: 1, name: 'upsert', args: { id: uuid(1), type: 'Task', value: { title: 'a' }, ifMatch: 0 } },
      { id: 2, name: 'upsert', args: { id: uuid(2), type: 'Task', value: { title: 'b' }, ifMatch: 0 } },
    ]
    a.send({ type: 'push', clientId: 'tab-a', mutations })
    await until(() => b.of('observe').length === 1)
    // The hub stores its own copy too (a worker that crashes loses none).
    await tick(50)
    expect((await store.loadPending('tab-a')).map((r) => r.id)).toEqual([1, 2])
    expect(b.of('observe')[0]).toMatchObject({ clientId: 'tab-a', mutations: [{ id: 1 }, { id: 2 }] })
    expect(a.of('observe')).toHaveLength(0)
    // Sent again (a reconnect): queued once.
    a.send({ type: 'push', clientId: 'tab-a', mutations })
    await online(upstream)
    await until(() => upstream.sentOf('push').length > 0)
    expect(upstream.sentOf('push').map((p) => [p.clientId, p.mutations.map((m) => m.id)])).toEqual([
      ['tab-a', [1, 2]],
    ])
    // A push for another client than the tab's own is refused.
    a.send({ type: 'push', clientId: 'tab-b', mutations })
    await until(() => a.of('error').length === 1)
    // The server confirms: every tab hears it; the cache forgets them.
    upstream.deliver(...pokeFrames({ cookie: 3, lmids: { 'tab-a': 2 } }))
    await until(() =>
      b.of('pokeEnd').some((e) => (e.lastMutationIdChanges as Record<string, number>)['tab-a'] === 2),
    )
    await until(() => a.of('pokeEnd').length > 0)
    await tick(20)
    expect(await store.loadPending('tab-a')).toEqual([])
    store.close()
  })

  it('tells a tab of another build to reload', async () => {
    const star = `unit.hub.s${crypto.randomUUID().slice(0, 8)}`
    const { hub } = makeHub(star)
    const channel = new MessageChannel()
    hub.connect(messagePort(channel.port2))
    const port = messagePort(channel.port1)
    const got: unknown[] = []
    port.listen((m) => got.push(...messagesOf(m)))
    const config: PortHubConfig = { url: 'http://fake', star, persistence: 'indexeddb' }
    port.postMessage({
      type: 'hello',
      portVersion: PORT_PROTOCOL_VERSION,
      buildId: 'b2',
      clientId: 't',
      config,
    })
    await until(() => got.length > 0)
    expect(got[0]).toEqual({ type: 'reload', buildId: 'b1' })
    channel.port1.close()
  })
})
