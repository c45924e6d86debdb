// Bad frames on the sync socket: each gets its typed error, the socket stays usable, other clients are undisturbed.
import { randomUUID } from 'node:crypto'
import { MAX_CLIENT_FRAME_BYTES, PROTOCOL_VERSION } from '@lumenize/protocol'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { freshStar } from './helpers'
import { rpc } from './rpc-client'
import { SyncClient } from './sync-client'

let star: string
let watcher: SyncClient
let written: string[]

/** A write every other client must see: proves the star keeps poking its other sockets. */
async function expectOthersUndisturbed(): Promise<void> {
  const doc = await rpc(star, 'upsert', { type: 'Doc', value: { kind: 'watch', n: written.length } })
  written.push(doc.id)
  await watcher.waitForCookie((await rpc(star, 'star.health')).seq)
  expect(watcher.subs.get('docs')!.rows.get(doc.id)).toEqual(doc)
  expect(watcher.errors).toEqual([])
}

/** The offending socket is still open and served: ping gets pong, and (if connected) a subscribe works. */
async function expectStillServed(client: SyncClient): Promise<void> {
  expect(client.socket.closed).toBeUndefined()
  await client.ping()
  if (client.connected) {
    const subId = `check-${randomUUID()}`
    await client.subscribe(subId, 'entities', { type: 'Doc', where: { kind: 'watch' } })
    expect(client.rows(subId).map((r) => r.id)).toEqual([...written].sort())
    client.unsubscribe(subId)
  }
}

beforeEach(async () => {
  star = freshStar()
  written = []
  watcher = await SyncClient.connect(star)
  await watcher.subscribe('docs', 'entities', { type: 'Doc' })
})

afterEach(async () => {
  expect(watcher.violations).toEqual([])
  expect(watcher.socket.closed).toBeUndefined()
  await watcher.close()
})

describe('bad frames on the sync socket', () => {
  it('answers malformed frames with BAD_FRAME and keeps the socket open', async () => {
    const client = await SyncClient.connect(star)
    const frames: Array<[string, () => void]> = [
      ['invalid JSON', () => client.socket.ws.send('{"type":"ping"')],
      ['a binary frame', () => client.socket.ws.send(Buffer.from('{"type":"ping"}'), { binary: true })],
      ['an unknown message type', () => client.send({ type: 'hello' })],
      ['a frame without type', () => client.send({ subId: 'x' })],
      ['a JSON value that is not an object', () => client.send('"just a string"')],
      ['an unknown field in ping', () => client.send({ type: 'ping', extra: 1 })],
      [
        'an unknown field in subscribe',
        () => client.send({ type: 'subscribe', subId: 's', shape: 'entities', params: {}, since: 3 }),
      ],
      [
        'an unknown field in a mutation',
        () =>
          client.send({
            type: 'push',
            clientId: client.clientId,
            mutations: [{ id: 1, name: 'upsert', args: {}, when: 0 }],
          }),
      ],
      [
        'a push with no mutations',
        () => client.send({ type: 'push', clientId: client.clientId, mutations: [] }),
      ],
      [
        'a negative cookie',
        () => client.send({ type: 'subscribe', subId: 's', shape: 'entities', cookie: -1 }),
      ],
    ]
    for (const [what, send] of frames) {
      const err = await client.expectError(send)
      expect({ what, kind: err.kind }).toEqual({ what, kind: 'BAD_FRAME' })
      expect(err.message).not.toBe('')
      await expectStillServed(client)
      await expectOthersUndisturbed()
    }
    // Nothing was subscribed or pushed by the bad frames.
    expect(client.subs.size).toBe(0)
    expect(client.watermark).toBe(0)
    expect(client.mutationErrors).toEqual([])
  })

  it('answers a second connect with BAD_FRAME and keeps the first identity', async () => {
    const client = await SyncClient.connect(star)
    const err = await client.expectError(() =>
      client.send({
        type: 'connect',
        protocolVersion: PROTOCOL_VERSION,
        clientGroupId: 'other',
        clientId: 'other',
      }),
    )
    expect(err.kind).toBe('BAD_FRAME')
    await expectStillServed(client)
    // Pushes still count as the first client's.
    client.push([{ name: 'upsert', args: { id: randomUUID(), type: 'Doc', value: { kind: 'mine' } } }])
    await client.waitForWatermark(1)
    await expectOthersUndisturbed()
  })

  it('answers subscribe, unsubscribe and push before connect with NOT_CONNECTED', async () => {
    const client = await SyncClient.open(star)
    for (const frame of [
      { type: 'subscribe', subId: 's', shape: 'entities', params: { type: 'Doc' } },
      { type: 'unsubscribe', subId: 's' },
      { type: 'push', clientId: client.clientId, mutations: [{ id: 1, name: 'upsert', args: {} }] },
    ]) {
      const err = await client.expectError(() => client.send(frame))
      expect({ type: frame.type, kind: err.kind }).toEqual({ type: frame.type, kind: 'NOT_CONNECTED' })
      await expectStillServed(client)
      await expectOthersUndisturbed()
    }
    expect(client.pokes).toEqual([])
    // Connecting afterwards works, and the socket is then fully usable.
    await client.connect()
    expect(client.connected?.watermark).toBe(0)
    await expectStillServed(client)
  })

  it('answers an unknown shape with UNKNOWN_SHAPE and bad params with INVALID_PARAMS, naming the subId', async () => {
    const client = await SyncClient.connect(star)
    const unknown = await client.expectError(() =>
      client.send({ type: 'subscribe', subId: 'u', shape: 'nope' }),
    )
    expect(unknown).toMatchObject({ kind: 'UNKNOWN_SHAPE', details: { subId: 'u', shape: 'nope' } })
    expect(unknown.details?.known).toEqual(expect.arrayContaining(['entities', 'orgTree']))
    await expectStillServed(client)
    await expectOthersUndisturbed()

    const invalid: Array<[string, Record<string, unknown>]> = [
      ['entities', { type: 'Doc', where: { n: { $near: 3 } } }],
      ['entities', { type: 'Doc', where: { $or: {} } }],
      ['entities', { type: 'Doc', bogus: true }],
      ['entities', { type: 'Nope' }],
      ['entities', { type: 7 }],
      ['entities', { under: 'not-a-node-id' }],
      ['orgTree', { root: 42 }],
      ['orgTree', { under: randomUUID() }],
    ]
    for (const [i, [shape, params]] of invalid.entries()) {
      const subId = `bad-${i}`
      const err = await client.expectError(() => client.send({ type: 'subscribe', subId, shape, params }))
      expect({ params, kind: err.kind, subId: err.details?.subId }).toEqual({
        params,
        kind: 'INVALID_PARAMS',
        subId,
      })
      await expectStillServed(client)
      await expectOthersUndisturbed()
    }
    // None of the refused subscriptions exists: unsubscribing them is UNKNOWN_SUBSCRIPTION.
    const gone = await client.expectError(() => client.send({ type: 'unsubscribe', subId: 'bad-0' }))
    expect(gone).toMatchObject({ kind: 'UNKNOWN_SUBSCRIPTION', details: { subId: 'bad-0' } })
    expect(client.pokes.every((p) => p.parts.every((part) => part.subId.startsWith('check-')))).toBe(true)
  })

  it('answers an unsubscribe of an unknown subId with UNKNOWN_SUBSCRIPTION', async () => {
    const client = await SyncClient.connect(star)
    await client.subscribe('real', 'entities', { type: 'Doc' })
    const err = await client.expectError(() => client.send({ type: 'unsubscribe', subId: 'ghost' }))
    expect(err).toMatchObject({ kind: 'UNKNOWN_SUBSCRIPTION', details: { subId: 'ghost' } })
    await expectStillServed(client)
    // The real subscription is untouched and keeps receiving pokes.
    await expectOthersUndisturbed()
    await client.waitForCookie(watcher.cookie)
    expect(client.rows('real')).toEqual(watcher.rows('docs'))
  })

  it('answers a frame over 512 KiB with PAYLOAD_TOO_LARGE and applies nothing of it', async () => {
    const client = await SyncClient.connect(star)
    const big = 'x'.repeat(MAX_CLIENT_FRAME_BYTES)
    const frame = JSON.stringify({
      type: 'push',
      clientId: client.clientId,
      mutations: [{ id: 1, name: 'upsert', args: { id: randomUUID(), type: 'Doc', value: { big } } }],
    })
    expect(frame.length).toBeGreaterThan(MAX_CLIENT_FRAME_BYTES)
    const seq = (await rpc(star, 'star.health')).seq
    const err = await client.expectError(() => client.send(frame))
    expect(err).toMatchObject({
      kind: 'PAYLOAD_TOO_LARGE',
      details: { size: frame.length, limit: MAX_CLIENT_FRAME_BYTES },
    })
    expect((await rpc(star, 'star.health')).seq).toBe(seq)
    await expectStillServed(client)
    await expectOthersUndisturbed()
    // The same mutation id is still free.
    client.push([{ name: 'upsert', args: { id: randomUUID(), type: 'Doc', value: { small: true } } }])
    await client.waitForWatermark(1)
    expect(client.mutationErrors).toEqual([])
  })

  it('answers an unsupported protocol version with PROTOCOL_VERSION and closes with 4426', async () => {
    for (const version of [PROTOCOL_VERSION + 1, 0]) {
      const client = await SyncClient.open(star)
      const err = await client.expectError(() =>
        client.send({
          type: 'connect',
          protocolVersion: version,
          clientGroupId: 'g',
          clientId: `c${version}`,
        }),
      )
      expect(err).toMatchObject({ kind: 'PROTOCOL_VERSION', details: { supported: [1, PROTOCOL_VERSION] } })
      await client.waitFor('close', () => client.socket.closed !== undefined)
      expect(client.socket.closed?.code).toBe(4426)
      expect(client.connected).toBeUndefined()
      await expectOthersUndisturbed()
    }
  })
})
