// Hibernation: an idle star is evicted with a subscribed socket open, and pokes and pushes resume after.
import { randomUUID } from 'node:crypto'
import { PING_FRAME, PONG_FRAME } from '@lumenize/protocol'
import { describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { freshStar, serverUrl } from './helpers'
import { rpc, sleep } from './rpc-client'
import { SyncClient } from './sync-client'

/** workerd evicts a Durable Object whose only connections are hibernatable sockets after ~10 s idle. */
const IDLE_MS = 12_000
/** When, within the idle time, a keep-alive "ping" goes out (answered by the runtime, not the object). */
const KEEPALIVE_AT_MS = 4_000

/** A bare socket sending the protocol's heartbeat, which the runtime answers without the object. */
async function keepAliveSocket(star: string): Promise<{ ping: () => Promise<string>; close: () => void }> {
  const ws = new WebSocket(`${serverUrl().replace(/^http/, 'ws')}/stars/${star}/sync`)
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve())
    ws.once('error', reject)
  })
  return {
    ping: () =>
      new Promise((resolve) => {
        ws.once('message', (data) => resolve(String(data)))
        ws.send(PING_FRAME)
      }),
    close: () => ws.close(1000),
  }
}

describe('sync across hibernation', () => {
  it('keeps a subscribed socket through eviction: the next write is poked and a push continues the watermark', {
    timeout: 40_000,
  }, async () => {
    const star = freshStar()
    const client = await SyncClient.connect(star)
    await client.subscribe('docs', 'entities', { type: 'Doc', where: { kind: 'a' } })
    const pushed = randomUUID()
    client.push([{ name: 'upsert', args: { id: pushed, type: 'Doc', value: { kind: 'a', n: 1 } } }])
    await client.waitForWatermark(1)
    const keepAlive = await keepAliveSocket(star)
    const { instance: before } = await rpc(star, 'star.instance')
    const cookieBefore = client.cookie

    // No traffic to this star while idle but a keep-alive, which must not wake (and so keep) the object.
    await sleep(KEEPALIVE_AT_MS)
    expect(await keepAlive.ping()).toBe(PONG_FRAME)
    await sleep(IDLE_MS - KEEPALIVE_AT_MS)
    expect(client.socket.closed).toBeUndefined()
    const { instance: after } = await rpc(star, 'star.instance')
    expect(after).not.toBe(before)

    const written = await rpc(star, 'upsert', { type: 'Doc', value: { kind: 'a', n: 2 } })
    await rpc(star, 'upsert', { type: 'Doc', value: { kind: 'b', n: 3 } })
    const seq = (await rpc(star, 'star.health')).seq
    await client.waitForCookie(seq - 1)
    const poke = client.pokes.at(-1)!
    expect(poke.baseCookie).toBe(cookieBefore)
    expect(poke.parts.flatMap((p) => p.puts)).toEqual([written])
    expect(poke.parts.flatMap((p) => p.dels)).toEqual([])

    // The watermark survived in SQLite: id 2 is the next one, not a gap and not a replay.
    client.push([{ name: 'patch', args: { id: pushed, value: { n: 10 } } }])
    await client.waitForWatermark(2)
    expect(client.pokes.at(-1)!.lastMutationIdChanges).toEqual({ [client.clientId]: 2 })
    expect(client.subs.get('docs')!.rows.get(pushed)).toMatchObject({
      version: 2,
      value: { kind: 'a', n: 10 },
    })
    const fresh = await rpc(star, 'query', { type: 'Doc', where: { kind: 'a' } })
    expect(client.rows('docs')).toEqual(fresh.entities)
    expect(client.errors).toEqual([])
    expect(client.mutationErrors).toEqual([])
    expect(client.violations).toEqual([])
    keepAlive.close()
  })
})
