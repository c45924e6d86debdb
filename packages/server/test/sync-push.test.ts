// Push over the sync socket: replays, gaps, refused mutations, ordered batches and client-group ownership.
import { randomUUID } from 'node:crypto'
import type { EntitySnapshot } from '@lumenize/protocol'
import { describe, expect, it } from 'vitest'
import { freshStar } from './helpers'
import { rpc } from './rpc-client'
import { SyncClient } from './sync-client'

const upsertDoc = (id: string, value: Record<string, unknown>, ifMatch?: number) => ({
  name: 'upsert',
  args: { id, type: 'Doc', value, ...(ifMatch === undefined ? {} : { ifMatch }) },
})

/** The watermark a fresh socket of the same client sees in `connected`. */
async function watermarkOnNewSocket(star: string, client: SyncClient): Promise<number> {
  const again = await SyncClient.connect(star, {
    clientGroupId: client.clientGroupId,
    clientId: client.clientId,
  })
  const watermark = again.connected!.watermark
  await again.close()
  return watermark
}

const versions = (history: readonly EntitySnapshot[]) =>
  history.map((s) => [s.version, s.mutationId, s.deleted])

describe('sync push', () => {
  it('applies a push sent twice with the same ids only once and confirms its watermark', async () => {
    const star = freshStar()
    const client = await SyncClient.connect(star)
    expect(client.connected).toMatchObject({ type: 'connected', protocolVersion: 1, watermark: 0, cookie: 1 })
    await client.subscribe('docs', 'entities', { type: 'Doc' })
    const id = randomUUID()
    const frame = {
      type: 'push',
      clientId: client.clientId,
      mutations: [
        { id: 1, ...upsertDoc(id, { kind: 'a', n: 1 }) },
        { id: 2, name: 'patch', args: { id, value: { n: 2 } } },
      ],
    }
    client.send(frame)
    await client.waitForWatermark(2)
    const seqAfterFirst = (await rpc(star, 'star.health')).seq
    client.send(frame)
    // A later, new mutation proves the replay was processed (frames are handled in order).
    client.send({
      type: 'push',
      clientId: client.clientId,
      mutations: [{ id: 3, ...upsertDoc(randomUUID(), {}) }],
    })
    await client.waitForWatermark(3)

    const history = await rpc(star, 'history', { id })
    expect(versions(history)).toEqual([
      [1, 1, false],
      [2, 2, false],
    ])
    expect(history.every((s) => s.clientId === client.clientId)).toBe(true)
    expect((await rpc(star, 'star.health')).seq).toBe(seqAfterFirst + 1)
    expect(client.rows('docs').find((r) => r.id === id)?.value).toEqual({ kind: 'a', n: 2 })
    // Every confirmation the client saw is one of the ids, in increasing order, ending at 3.
    const confirmations = client.pokes.flatMap((p) => p.lastMutationIdChanges[client.clientId] ?? [])
    expect(confirmations.at(-1)).toBe(3)
    expect([...confirmations].sort((a, b) => a - b)).toEqual(confirmations)
    expect(client.errors).toEqual([])
    expect(client.mutationErrors).toEqual([])
    expect(client.violations).toEqual([])
    expect(await watermarkOnNewSocket(star, client)).toBe(3)
  })

  it('refuses a push with a gap with OUT_OF_ORDER, applies nothing from the gap on, and accepts the resend', async () => {
    const star = freshStar()
    const client = await SyncClient.connect(star)
    const ids = Array.from({ length: 6 }, () => randomUUID())
    client.push([upsertDoc(ids[0]!, { step: 1 }), upsertDoc(ids[1]!, { step: 2 })])
    await client.waitForWatermark(2)

    const err = await client.expectError(() =>
      client.send({
        type: 'push',
        clientId: client.clientId,
        mutations: [
          { id: 3, ...upsertDoc(ids[2]!, { step: 3 }) },
          { id: 5, ...upsertDoc(ids[4]!, { step: 5 }) },
          { id: 6, ...upsertDoc(ids[5]!, { step: 6 }) },
        ],
      }),
    )
    expect(err).toMatchObject({
      type: 'error',
      kind: 'OUT_OF_ORDER',
      details: { clientId: client.clientId, watermark: 3, id: 5 },
    })
    await client.waitForWatermark(3)
    expect(await rpc(star, 'get', { id: ids[2]! })).toMatchObject({ value: { step: 3 }, mutationId: 3 })
    expect(await rpc(star, 'get', { id: ids[4]! })).toBeNull()
    expect(await rpc(star, 'get', { id: ids[5]! })).toBeNull()
    expect(await watermarkOnNewSocket(star, client)).toBe(3)

    // Resend from watermark + 1: 4, 5, 6 (the socket stayed open).
    client.send({
      type: 'push',
      clientId: client.clientId,
      mutations: [
        { id: 4, ...upsertDoc(ids[3]!, { step: 4 }) },
        { id: 5, ...upsertDoc(ids[4]!, { step: 5 }) },
        { id: 6, ...upsertDoc(ids[5]!, { step: 6 }) },
      ],
    })
    await client.waitForWatermark(6)
    const docs = await rpc(star, 'query', { type: 'Doc', orderBy: [{ field: 'step' }] })
    expect(docs.entities.map((d) => [d.value.step, d.mutationId])).toEqual([
      [1, 1],
      [2, 2],
      [3, 3],
      [4, 4],
      [5, 5],
      [6, 6],
    ])
    expect(client.errors).toHaveLength(1)
    expect(client.mutationErrors).toEqual([])
    expect(await watermarkOnNewSocket(star, client)).toBe(6)
  })

  it('answers mutations whose mutator throws with a typed mutationError, consumes their ids and changes nothing', async () => {
    const star = freshStar()
    const client = await SyncClient.connect(star)
    const sibling = await SyncClient.connect(star, { clientGroupId: client.clientGroupId })
    await sibling.subscribe('docs', 'entities', { type: 'Doc' })
    const id = randomUUID()
    client.push([upsertDoc(id, { kind: 'a', n: 1 })])
    await client.waitForWatermark(1)
    const before = await rpc(star, 'star.health')

    const last = client.push([
      upsertDoc(id, { kind: 'stale' }, 7),
      { name: 'noSuchMutator', args: {} },
      { name: 'upsert', args: { type: 'Doc', value: { kind: 'no id' } } },
      { name: 'patch', args: { id: 'not-a-uuid', value: {} } },
      { name: 'upsert', args: { id: randomUUID(), type: 'Planet', value: {} } },
      { name: 'upsert', args: { id: randomUUID(), type: 'Task', value: { title: '', status: 'later' } } },
      { name: 'delete', args: { id: randomUUID() } },
      {
        name: 'transaction',
        args: {
          ops: [
            { op: 'delete', id },
            { op: 'patch', id, value: { n: 9 } },
          ],
        },
      },
    ])
    expect(last).toBe(9)
    await client.waitForWatermark(9)
    await sibling.waitFor('the group watermark', () => sibling.confirmed.get(client.clientId) === 9)

    expect(client.mutationErrors.map((e) => [e.id, e.error.kind])).toEqual([
      [2, 'CONFLICT'],
      [3, 'UNKNOWN_MUTATOR'],
      [4, 'VALIDATION_FAILED'],
      [5, 'VALIDATION_FAILED'],
      [6, 'UNKNOWN_TYPE'],
      [7, 'VALIDATION_FAILED'],
      [8, 'NOT_FOUND'],
      [9, 'NOT_FOUND'],
    ])
    expect(
      client.mutationErrors.every((e) => e.type === 'mutationError' && e.clientId === client.clientId),
    ).toBe(true)
    expect(client.mutationErrors[0]!.error.details).toMatchObject({ id, expected: 7, current: 1 })
    expect(client.mutationErrors[4]!.error.details).toMatchObject({ type: 'Planet' })
    // Only the pushing socket hears about refusals; the group's other socket sees the watermark.
    expect(sibling.mutationErrors).toEqual([])
    // No effect: the star's seq and the doc are as before, and the sibling's replica is unchanged.
    expect((await rpc(star, 'star.health')).seq).toBe(before.seq)
    expect((await rpc(star, 'history', { id })).map((s) => s.version)).toEqual([1])
    expect(sibling.rows('docs').map((r) => [r.id, r.version])).toEqual([[id, 1]])
    expect(await watermarkOnNewSocket(star, client)).toBe(9)

    // The next good mutation is id 10 and applies.
    client.push([{ name: 'patch', args: { id, value: { n: 10 }, ifMatch: 1 } }])
    await client.waitForWatermark(10)
    await sibling.waitFor('the patched doc', () => sibling.subs.get('docs')?.rows.get(id)?.version === 2)
    expect((await rpc(star, 'get', { id }))?.value).toEqual({ kind: 'a', n: 10 })
  })

  it('applies the good mutations of a frame that also holds failing ones, once each and in order', async () => {
    const star = freshStar()
    const client = await SyncClient.connect(star)
    const id = randomUUID()
    const last = client.push([
      upsertDoc(id, { kind: 'a', n: 1 }),
      { name: 'patch', args: { id, value: { n: 2 }, ifMatch: 99 } },
      { name: 'patch', args: { id, value: { n: 3 }, ifMatch: 1 } },
      { name: 'noSuchMutator', args: {} },
      { name: 'patch', args: { id, value: { n: 4 }, ifMatch: 2 } },
    ])
    expect(last).toBe(5)
    await client.waitForWatermark(5)
    expect(client.mutationErrors.map((e) => [e.id, e.error.kind])).toEqual([
      [2, 'CONFLICT'],
      [4, 'UNKNOWN_MUTATOR'],
    ])
    const history = await rpc(star, 'history', { id })
    expect(history.map((s) => [s.version, s.value.n, s.mutationId])).toEqual([
      [1, 1, 1],
      [2, 3, 3],
      [3, 4, 5],
    ])
    // Resending the whole frame, same ids, changes nothing.
    client.send({
      type: 'push',
      clientId: client.clientId,
      mutations: [1, 2, 3, 4, 5].map((n) => ({ id: n, name: 'patch', args: { id, value: { n: 100 + n } } })),
    })
    // Frames of one socket are handled in order: once the pong is back, the resend was handled.
    await client.ping()
    expect(await watermarkOnNewSocket(star, client)).toBe(5)
    expect((await rpc(star, 'history', { id })).length).toBe(3)
  })

  it('commits the mutations of one push frame in order: upsert, patch, then delete of the same id', async () => {
    const star = freshStar()
    const client = await SyncClient.connect(star)
    const watcher = await SyncClient.connect(star)
    await watcher.subscribe('docs', 'entities', { type: 'Doc' })
    const id = randomUUID()
    const kept = randomUUID()
    client.push([
      upsertDoc(id, { kind: 'a', n: 1 }),
      { name: 'patch', args: { id, value: { n: 2, extra: true } } },
      { name: 'delete', args: { id, ifMatch: 2 } },
      {
        name: 'transaction',
        args: {
          ops: [
            { op: 'upsert', id: kept, type: 'Doc', value: { kind: 'b' }, ifMatch: 0 },
            { op: 'patch', id: kept, value: { n: 5 } },
          ],
        },
      },
    ])
    await client.waitForWatermark(4)
    expect(client.mutationErrors).toEqual([])
    const history = await rpc(star, 'history', { id })
    expect(versions(history)).toEqual([
      [1, 1, false],
      [2, 2, false],
      [3, 3, true],
    ])
    expect(history[2]!.value).toEqual({ kind: 'a', n: 2, extra: true })
    expect(await rpc(star, 'get', { id })).toBeNull()
    // Both ops of the transaction share mutation 4 and one instant.
    const keptHistory = await rpc(star, 'history', { id: kept })
    expect(versions(keptHistory)).toEqual([
      [1, 4, false],
      [2, 4, false],
    ])
    expect(keptHistory[0]!.validTo).toBe(keptHistory[1]!.validFrom)
    await watcher.waitForCookie((await rpc(star, 'star.health')).seq)
    expect(watcher.rows('docs').map((r) => [r.id, r.version, r.value])).toEqual([
      [kept, 2, { kind: 'b', n: 5 }],
    ])
    expect(watcher.violations).toEqual([])
  })

  it('confirms the pushes of clients that connect after other pushes were already confirmed', async () => {
    const star = freshStar()
    const early = await SyncClient.connect(star)
    early.push([upsertDoc(randomUUID(), { by: 'early' })])
    await early.waitForWatermark(1)

    // A new group, and a new socket of the early client's group, both connected after that poke.
    const late = await SyncClient.connect(star)
    const sibling = await SyncClient.connect(star, { clientGroupId: early.clientGroupId })
    late.push([upsertDoc(randomUUID(), { by: 'late' })])
    await late.waitForWatermark(1)
    sibling.push([upsertDoc(randomUUID(), { by: 'sibling' })])
    await sibling.waitForWatermark(1)
    early.push([upsertDoc(randomUUID(), { by: 'early' })])
    await early.waitForWatermark(2)
    await sibling.waitFor('the early client confirmed', () => sibling.confirmed.get(early.clientId) === 2)
    expect(early.confirmed.get(sibling.clientId)).toBe(1)
    // Confirmations stay within a group.
    expect(late.confirmed.has(early.clientId)).toBe(false)
    expect(early.confirmed.has(late.clientId)).toBe(false)
  })

  it('tells a client of the group that re-pushes the applied mutations of a closed client their watermark', async () => {
    const star = freshStar()
    const closing = await SyncClient.connect(star)
    const id = randomUUID()
    const mutations = [
      { id: 1, ...upsertDoc(id, { n: 1 }) },
      { id: 2, name: 'patch', args: { id, value: { n: 2 } } },
    ]
    closing.send({ type: 'push', clientId: closing.clientId, mutations })
    await closing.waitForWatermark(2)
    await closing.close()

    // Another client of the group pushes the closed client's queue again (it never saw the confirmation).
    const recovering = await SyncClient.connect(star, { clientGroupId: closing.clientGroupId })
    const seq = (await rpc(star, 'star.health')).seq
    recovering.send({ type: 'push', clientId: closing.clientId, mutations })
    await recovering.waitFor(
      'the closed client confirmed',
      () => recovering.confirmed.get(closing.clientId) === 2,
    )
    expect((await rpc(star, 'star.health')).seq).toBe(seq)
    expect(versions(await rpc(star, 'history', { id }))).toEqual([
      [1, 1, false],
      [2, 2, false],
    ])
    expect(recovering.errors).toEqual([])
  })

  it('refuses pushes and connects for a client id that belongs to another client group', async () => {
    const star = freshStar()
    const owner = await SyncClient.connect(star)
    const ownedId = randomUUID()
    owner.push([upsertDoc(ownedId, { by: 'owner' })])
    await owner.waitForWatermark(1)

    const intruder = await SyncClient.connect(star)
    const seq = (await rpc(star, 'star.health')).seq
    const err = await intruder.expectError(() =>
      intruder.send({
        type: 'push',
        clientId: owner.clientId,
        mutations: [
          { id: 2, ...upsertDoc(randomUUID(), { by: 'intruder' }) },
          { id: 3, name: 'patch', args: { id: ownedId, value: { by: 'intruder' } } },
        ],
      }),
    )
    expect(err).toMatchObject({ type: 'error', kind: 'BAD_FRAME' })
    expect(err.message).toContain(owner.clientId)
    expect((await rpc(star, 'star.health')).seq).toBe(seq)
    expect((await rpc(star, 'get', { id: ownedId }))?.value).toEqual({ by: 'owner' })
    expect(await watermarkOnNewSocket(star, owner)).toBe(1)

    // Connecting as that client from another group is refused too, and leaves the socket unconnected.
    const impostor = await SyncClient.open(star, { clientId: owner.clientId })
    const refused = await impostor.expectError(() =>
      impostor.send({
        type: 'connect',
        protocolVersion: 1,
        clientGroupId: impostor.clientGroupId,
        clientId: owner.clientId,
      }),
    )
    expect(refused.kind).toBe('BAD_FRAME')
    expect(impostor.connected).toBeUndefined()
    const notConnected = await impostor.expectError(() =>
      impostor.send({
        type: 'push',
        clientId: owner.clientId,
        mutations: [{ id: 2, ...upsertDoc(ownedId, {}) }],
      }),
    )
    expect(notConnected.kind).toBe('NOT_CONNECTED')

    // The owner's own next mutation still goes through.
    owner.push([{ name: 'patch', args: { id: ownedId, value: { n: 2 } } }])
    await owner.waitForWatermark(2)
    expect((await rpc(star, 'get', { id: ownedId }))?.value).toEqual({ by: 'owner', n: 2 })
    expect(owner.errors).toEqual([])
  })
})
