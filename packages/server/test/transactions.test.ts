// Transactions on workerd: all-or-nothing commits, eTags, merge patches and every store constraint error.
import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { freshStar } from './helpers'
import { rpc, rpcError, storeState } from './rpc-client'
import { failsAndChangesNothing, seed } from './transaction-helpers'

describe('transactions', () => {
  it('refuses a transaction with a stale ifMatch and changes nothing, not even its earlier ops', async () => {
    const star = freshStar()
    const s = await seed(star)
    const fresh = randomUUID()
    const ids = [s.doc, s.ann, s.bob, s.task, fresh]
    const before = await storeState(star)
    const err = await failsAndChangesNothing(
      star,
      ids,
      'transaction',
      {
        ops: [
          { op: 'upsert', id: fresh, type: 'Doc', value: { kind: 'new' } },
          { op: 'patch', id: s.bob, value: { name: 'Robert' }, ifMatch: 1 },
          { op: 'delete', id: s.task },
          { op: 'patch', id: s.doc, value: { text: 'third' }, ifMatch: 1 },
          { op: 'patch', id: s.ann, value: { name: 'Annie' } },
        ],
      },
      1003,
    )
    expect(err.details).toEqual({ kind: 'CONFLICT', id: s.doc, expected: 1, current: 2 })
    expect((await storeState(star)).seq).toBe(before.seq)
    // The op that was applied before the conflict left no trace, not even in history.
    expect((await rpcError(star, 'history', { id: fresh })).code).toBe(1002)
    expect((await rpc(star, 'history', { id: s.task })).map((h) => h.version)).toEqual([1])

    // With the right eTag the same kind of write goes through.
    const ok = await rpc(star, 'patch', { id: s.doc, value: { text: 'third' }, ifMatch: 2 })
    expect(ok.version).toBe(3)
    const stale = await failsAndChangesNothing(star, ids, 'delete', { id: s.doc, ifMatch: 2 }, 1003)
    expect(stale.details).toMatchObject({ kind: 'CONFLICT', id: s.doc, expected: 2, current: 3 })
  })

  it('treats ifMatch 0 as "must not exist yet", for single writes and inside transactions', async () => {
    const star = freshStar()
    const s = await seed(star)
    const fresh = randomUUID()
    const ids = [s.doc, s.ann, fresh]
    const err = await failsAndChangesNothing(
      star,
      ids,
      'upsert',
      { id: s.doc, type: 'Doc', value: { kind: 'again' }, ifMatch: 0 },
      1003,
    )
    expect(err.details).toEqual({ kind: 'CONFLICT', id: s.doc, expected: 0, current: 2 })
    const inTx = await failsAndChangesNothing(
      star,
      ids,
      'transaction',
      {
        ops: [
          { op: 'upsert', id: fresh, type: 'Doc', value: { kind: 'new' }, ifMatch: 0 },
          {
            op: 'upsert',
            id: s.ann,
            type: 'Person',
            value: { name: 'A', email: 'a@example.com' },
            ifMatch: 0,
          },
        ],
      },
      1003,
    )
    expect(inTx.details).toMatchObject({ kind: 'CONFLICT', id: s.ann, expected: 0, current: 1 })
    // On an id that does not exist, ifMatch 0 creates version 1; a second ifMatch 0 then fails.
    const created = await rpc(star, 'upsert', { id: fresh, type: 'Doc', value: { kind: 'new' }, ifMatch: 0 })
    expect(created).toMatchObject({ id: fresh, version: 1, deleted: false, value: { kind: 'new' } })
    const twice = await failsAndChangesNothing(
      star,
      ids,
      'upsert',
      { id: fresh, type: 'Doc', value: { kind: 'newer' }, ifMatch: 0 },
      1003,
    )
    expect(twice.details).toMatchObject({ expected: 0, current: 1 })
    // A patch with ifMatch 0 on an existing entity is stale as well.
    await failsAndChangesNothing(star, ids, 'patch', { id: fresh, value: { x: 1 }, ifMatch: 0 }, 1003)
  })

  it('applies mixed upserts, patches and deletes atomically at one shared instant', async () => {
    const star = freshStar()
    const s = await seed(star)
    const doomed = randomUUID()
    await rpc(star, 'upsert', { id: doomed, type: 'Doc', value: { kind: 'old' } })
    const before = await storeState(star)
    const created = randomUUID()
    const { snapshots } = await rpc(star, 'transaction', {
      ops: [
        { op: 'upsert', id: created, type: 'Doc', value: { kind: 'fresh', nodes: [s.node] } },
        { op: 'patch', id: s.doc, value: { text: 'in a transaction' }, ifMatch: 2 },
        { op: 'delete', id: doomed, ifMatch: 1 },
        { op: 'upsert', id: s.bob, type: 'Person', value: { name: 'Bob B', email: 'bob@example.org' } },
        { op: 'patch', id: s.task, value: { status: 'doing', assignee: s.bob } },
        { op: 'upsert', type: 'Doc', value: { kind: 'id chosen by the server' } },
      ],
    })
    expect(snapshots).toHaveLength(6)
    expect(new Set(snapshots.map((x) => x.validFrom)).size).toBe(1)
    expect(snapshots.every((x) => x.validTo === 8_640_000_000_000_000)).toBe(true)
    expect(snapshots.map((x) => [x.version, x.deleted])).toEqual([
      [1, false],
      [3, false],
      [2, true],
      [2, false],
      [2, false],
      [1, false],
    ])
    const serverId = snapshots[5]!.id
    expect(serverId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
    expect(await rpc(star, 'get', { id: s.doc })).toMatchObject({
      value: { kind: 'note', text: 'in a transaction' },
    })
    expect(await rpc(star, 'get', { id: doomed })).toBeNull()
    expect(await rpc(star, 'get', { id: s.task })).toMatchObject({
      value: { status: 'doing', assignee: s.bob },
    })
    expect(await rpc(star, 'get', { id: serverId })).toEqual(snapshots[5])
    // Six writes, six op-log entries, all at the same instant.
    const after = await storeState(star)
    expect(after.seq).toBe(before.seq + 6)
    const feed = await rpc(star, 'changes', { from: snapshots[0]!.validFrom })
    expect(feed.changes.map((c) => c.entity)).toEqual(snapshots)
    // Ann is no longer referenced by the task, so she can go now.
    expect((await rpc(star, 'delete', { id: s.ann })).deleted).toBe(true)
  })

  it('merges patches per RFC 7386: nested objects merge, null removes, arrays and scalars replace', async () => {
    const star = freshStar()
    const id = randomUUID()
    await rpc(star, 'upsert', {
      id,
      type: 'Doc',
      value: { a: { b: 1, c: { d: 2, keep: true } }, keep: 'x', arr: [1, 2], gone: 'soon', n: 1 },
    })
    const patched = await rpc(star, 'patch', {
      id,
      value: {
        a: { b: null, c: { e: 3 } },
        arr: [3],
        gone: null,
        absent: null,
        n: { now: 'object' },
        fresh: { x: null },
      },
    })
    const expected = {
      a: { c: { d: 2, keep: true, e: 3 } },
      keep: 'x',
      arr: [3],
      n: { now: 'object' },
      fresh: {},
    }
    expect(patched.value).toEqual(expected)
    expect(patched.version).toBe(2)
    expect((await rpc(star, 'get', { id }))?.value).toEqual(expected)
    // An object replaced by a scalar, and two patches of one transaction applied in order.
    const { snapshots } = await rpc(star, 'transaction', {
      ops: [
        { op: 'patch', id, value: { a: 'flat' } },
        { op: 'patch', id, value: { a: { again: 1 }, keep: null } },
      ],
    })
    expect(snapshots[0]!.value).toEqual({ a: 'flat', arr: [3], n: { now: 'object' }, fresh: {}, keep: 'x' })
    expect(snapshots[1]!.value).toEqual({ a: { again: 1 }, arr: [3], n: { now: 'object' }, fresh: {} })
    // The merged value is validated: a patch that breaks the Person schema is refused.
    const p = randomUUID()
    await rpc(star, 'upsert', { id: p, type: 'Person', value: { name: 'Cy', email: 'cy@example.com' } })
    const err = await failsAndChangesNothing(star, [id, p], 'patch', { id: p, value: { email: null } }, 1001)
    expect(err.details.kind).toBe('VALIDATION_FAILED')
  })

  it('refuses a taken unique email (1004) and changes nothing, but allows swaps and reuse after delete', async () => {
    const star = freshStar()
    const s = await seed(star)
    const carl = randomUUID()
    const ids = [s.ann, s.bob, carl]
    const taken = await failsAndChangesNothing(
      star,
      ids,
      'upsert',
      { id: carl, type: 'Person', value: { name: 'Carl', email: 'ann@example.com' } },
      1004,
    )
    expect(taken.details).toEqual({
      kind: 'UNIQUE_VIOLATION',
      type: 'Person',
      field: 'email',
      value: 'ann@example.com',
      id: s.ann,
    })
    const byPatch = await failsAndChangesNothing(
      star,
      ids,
      'patch',
      { id: s.bob, value: { email: 'ann@example.com' } },
      1004,
    )
    expect(byPatch.details).toMatchObject({ id: s.ann, value: 'ann@example.com' })
    // Two new Persons of one transaction with the same email.
    const dup = await failsAndChangesNothing(
      star,
      ids,
      'transaction',
      {
        ops: [
          { op: 'upsert', id: carl, type: 'Person', value: { name: 'Carl', email: 'same@example.com' } },
          { op: 'upsert', type: 'Person', value: { name: 'Dee', email: 'same@example.com' } },
        ],
      },
      1004,
    )
    expect(dup.details).toMatchObject({ kind: 'UNIQUE_VIOLATION', field: 'email', value: 'same@example.com' })
    // Rewriting an entity with its own email is not a violation.
    expect((await rpc(star, 'patch', { id: s.ann, value: { name: 'Ann A' } })).version).toBe(2)
    // Swapping two emails in one transaction is consistent once it commits.
    await rpc(star, 'transaction', {
      ops: [
        { op: 'patch', id: s.ann, value: { email: 'bob@example.com' } },
        { op: 'patch', id: s.bob, value: { email: 'ann@example.com' } },
      ],
    })
    expect((await rpc(star, 'get', { id: s.ann }))?.value.email).toBe('bob@example.com')
    expect((await rpc(star, 'get', { id: s.bob }))?.value.email).toBe('ann@example.com')
    // Once its holder is deleted, an email is free again.
    await rpc(star, 'delete', { id: s.bob })
    const reused = await rpc(star, 'upsert', {
      id: carl,
      type: 'Person',
      value: { name: 'Carl', email: 'ann@example.com' },
    })
    expect(reused.version).toBe(1)
  })
})
