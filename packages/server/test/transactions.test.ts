// Transactions on workerd: all-or-nothing commits, eTags, merge patches and every store constraint error.
import { randomUUID } from 'node:crypto'
import type { EntitySnapshot } from '@lumenize/protocol'
import { describe, expect, it } from 'vitest'
import { freshStar } from './helpers'
import { type RpcCallError, type RpcParams, rpc, rpcError, storeState } from './rpc-client'

const MAX_VALUE_BYTES = 256 * 1024

/** A star with a Doc (at version 2), two Persons, an OrgNode and a Task assigned and attached to them. */
async function seed(star: string) {
  const ids = {
    doc: randomUUID(),
    ann: randomUUID(),
    bob: randomUUID(),
    node: randomUUID(),
    task: randomUUID(),
  }
  const root = await rpc(star, 'orgTree.root')
  await rpc(star, 'upsert', { id: ids.doc, type: 'Doc', value: { kind: 'note', text: 'first' } })
  await rpc(star, 'patch', { id: ids.doc, value: { text: 'second' } })
  await rpc(star, 'upsert', { id: ids.ann, type: 'Person', value: { name: 'Ann', email: 'ann@example.com' } })
  await rpc(star, 'upsert', { id: ids.bob, type: 'Person', value: { name: 'Bob', email: 'bob@example.com' } })
  await rpc(star, 'orgTree.addNode', { parent: root.id, id: ids.node, slug: 'team', name: 'Team' })
  await rpc(star, 'upsert', {
    id: ids.task,
    type: 'Task',
    value: { title: 'Ship it', status: 'todo', assignee: ids.ann, nodes: [ids.node] },
  })
  return { ...ids, root: root.id }
}

/** Reads every given entity now, plus the store as a whole. */
async function snapshot(star: string, ids: readonly string[]) {
  const entities: Array<EntitySnapshot | null> = []
  for (const id of ids) entities.push(await rpc(star, 'get', { id }))
  return { entities, store: await storeState(star) }
}

/**
 * Runs a call that must fail with `code`, then checks that nothing at all changed: the same
 * entities, the same snapshots, the same op-log seq. Returns the error for further checks.
 */
async function failsAndChangesNothing(
  star: string,
  ids: readonly string[],
  method: 'upsert' | 'patch' | 'delete' | 'transaction' | 'orgTree.deleteNode',
  params: RpcParams,
  code: number,
): Promise<RpcCallError> {
  const before = await snapshot(star, ids)
  const err = await rpcError(star, method, params)
  expect({ code: err.code, message: err.message }).toMatchObject({ code })
  expect(await snapshot(star, ids)).toEqual(before)
  return err
}

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

  it('refuses references to missing or wrongly typed entities (1005) and changes nothing', async () => {
    const star = freshStar()
    const s = await seed(star)
    const t = randomUUID()
    const ghost = randomUUID()
    const ids = [s.task, s.ann, s.doc, t]
    const missing = await failsAndChangesNothing(
      star,
      ids,
      'upsert',
      { id: t, type: 'Task', value: { title: 'Orphan', assignee: ghost } },
      1005,
    )
    expect(missing.details).toEqual({
      kind: 'REFERENCE_VIOLATION',
      id: t,
      field: 'assignee',
      target: ghost,
      expectedType: 'Person',
    })
    const wrongType = await failsAndChangesNothing(
      star,
      ids,
      'patch',
      { id: s.task, value: { assignee: s.doc } },
      1005,
    )
    expect(wrongType.details).toMatchObject({
      id: s.task,
      field: 'assignee',
      target: s.doc,
      expectedType: 'Person',
    })
    const badNode = await failsAndChangesNothing(
      star,
      ids,
      'upsert',
      { id: t, type: 'Task', value: { title: 'Nowhere', nodes: [s.node, ghost] } },
      1005,
    )
    expect(badNode.details).toMatchObject({ id: t, field: 'nodes', target: ghost, expectedType: 'OrgNode' })
    // An attachment to a Person (not an OrgNode) is refused too.
    await failsAndChangesNothing(
      star,
      ids,
      'upsert',
      { id: t, type: 'Doc', value: { kind: 'x', nodes: [s.ann] } },
      1005,
    )
    // A reference to a deleted Person, inside a transaction that also makes valid writes.
    await rpc(star, 'delete', { id: s.bob })
    const deleted = await failsAndChangesNothing(
      star,
      ids,
      'transaction',
      {
        ops: [
          { op: 'patch', id: s.doc, value: { text: 'would change' } },
          { op: 'upsert', id: t, type: 'Task', value: { title: 'For Bob', assignee: s.bob } },
        ],
      },
      1005,
    )
    expect(deleted.details).toMatchObject({ target: s.bob })
    // A Person created earlier in the same transaction can be referenced.
    const dan = randomUUID()
    const { snapshots } = await rpc(star, 'transaction', {
      ops: [
        { op: 'upsert', id: dan, type: 'Person', value: { name: 'Dan', email: 'dan@example.com' } },
        { op: 'upsert', id: t, type: 'Task', value: { title: 'For Dan', assignee: dan } },
      ],
    })
    expect(snapshots.map((x) => x.version)).toEqual([1, 1])
  })

  it('refuses deleting a Person a Task references (1006) until the reference is gone', async () => {
    const star = freshStar()
    const s = await seed(star)
    const ids = [s.ann, s.task, s.doc]
    const err = await failsAndChangesNothing(star, ids, 'delete', { id: s.ann }, 1006)
    expect(err.details).toEqual({ kind: 'STILL_REFERENCED', id: s.ann, referrers: [s.task] })
    await failsAndChangesNothing(
      star,
      ids,
      'transaction',
      {
        ops: [
          { op: 'patch', id: s.doc, value: { text: 'would change' } },
          { op: 'delete', id: s.ann },
        ],
      },
      1006,
    )
    // Dropping the reference and deleting in one transaction works.
    const { snapshots } = await rpc(star, 'transaction', {
      ops: [
        { op: 'patch', id: s.task, value: { assignee: null } },
        { op: 'delete', id: s.ann },
      ],
    })
    expect(snapshots[1]).toMatchObject({ id: s.ann, deleted: true, version: 2 })
    expect(await rpc(star, 'get', { id: s.ann })).toBeNull()
  })

  it('refuses values that fail their schema (1001) with the issues, and changes nothing', async () => {
    const star = freshStar()
    const s = await seed(star)
    const x = randomUUID()
    const ids = [s.ann, s.task, x]
    const badEmail = await failsAndChangesNothing(
      star,
      ids,
      'upsert',
      { id: x, type: 'Person', value: { name: 'Eve', email: 'not-an-email' } },
      1001,
    )
    expect(badEmail.details.kind).toBe('VALIDATION_FAILED')
    const issues = badEmail.details.issues as Array<{ path: string; message: string }>
    expect(issues.map((i) => i.path)).toEqual(['email'])
    const badStatus = await failsAndChangesNothing(
      star,
      ids,
      'patch',
      { id: s.task, value: { status: 'someday' } },
      1001,
    )
    expect((badStatus.details.issues as Array<{ path: string }>).map((i) => i.path)).toEqual(['status'])
    const noTitle = await failsAndChangesNothing(
      star,
      ids,
      'upsert',
      { id: x, type: 'Task', value: { status: 'todo' } },
      1001,
    )
    expect((noTitle.details.issues as Array<{ path: string }>).map((i) => i.path)).toEqual(['title'])
    // Not JSON-safe values: a __proto__ key, and nesting deeper than 64 levels.
    const protoBody = JSON.parse(`{"kind":"x","inner":{"__proto__":{"polluted":true}}}`) as Record<
      string,
      unknown
    >
    await failsAndChangesNothing(star, ids, 'upsert', { id: x, type: 'Doc', value: protoBody }, 1001)
    let deep: Record<string, unknown> = { leaf: 1 }
    for (let i = 0; i < 70; i++) deep = { d: deep }
    await failsAndChangesNothing(star, ids, 'upsert', { id: x, type: 'Doc', value: deep }, 1001)
  })

  it('refuses unknown types (1007) and writing an id that holds another type (1008)', async () => {
    const star = freshStar()
    const s = await seed(star)
    const x = randomUUID()
    const ids = [s.ann, s.doc, x]
    const unknown = await failsAndChangesNothing(
      star,
      ids,
      'upsert',
      { id: x, type: 'Invoice', value: { total: 1 } },
      1007,
    )
    expect(unknown.details.kind).toBe('UNKNOWN_TYPE')
    expect(unknown.details.type).toBe('Invoice')
    expect(unknown.details.known).toEqual(expect.arrayContaining(['Doc', 'Task', 'Person']))
    await failsAndChangesNothing(
      star,
      ids,
      'transaction',
      {
        ops: [
          { op: 'patch', id: s.doc, value: { text: 'would change' } },
          { op: 'upsert', type: 'Invoice', value: { total: 1 } },
        ],
      },
      1007,
    )
    const mismatch = await failsAndChangesNothing(
      star,
      ids,
      'upsert',
      { id: s.ann, type: 'Doc', value: { kind: 'not a person' } },
      1008,
    )
    expect(mismatch.details).toEqual({ kind: 'TYPE_MISMATCH', id: s.ann, type: 'Person' })
    await failsAndChangesNothing(
      star,
      ids,
      'upsert',
      { id: s.node, type: 'Doc', value: { kind: 'not a node' } },
      1008,
    )
  })

  it('refuses a value over 256 KiB (1014) and accepts one of exactly 256 KiB', async () => {
    const star = freshStar()
    const s = await seed(star)
    const x = randomUUID()
    const ids = [s.doc, x]
    // {"s":"xxx…"} is the string's length plus 8 bytes of JSON.
    const exact = { s: 'x'.repeat(MAX_VALUE_BYTES - 8) }
    expect(JSON.stringify(exact).length).toBe(MAX_VALUE_BYTES)
    const over = { s: 'x'.repeat(MAX_VALUE_BYTES - 7) }
    const err = await failsAndChangesNothing(star, ids, 'upsert', { id: x, type: 'Doc', value: over }, 1014)
    expect(err.details).toEqual({
      kind: 'PAYLOAD_TOO_LARGE',
      size: MAX_VALUE_BYTES + 1,
      limit: MAX_VALUE_BYTES,
    })
    // A patch that makes the merged value too large is refused the same way.
    await failsAndChangesNothing(star, ids, 'patch', { id: s.doc, value: { big: over.s } }, 1014)
    const ok = await rpc(star, 'upsert', { id: x, type: 'Doc', value: exact })
    expect(ok.version).toBe(1)
    expect((await rpc(star, 'get', { id: x }))?.value).toEqual(exact)
  })

  it('measures the 256 KiB value limit in bytes of JSON, not in characters', async () => {
    const star = freshStar()
    const s = await seed(star)
    const x = randomUUID()
    // 140,000 'é' are 140,008 characters of JSON but 280,008 bytes of UTF-8: over 256 KiB.
    const value = { s: 'é'.repeat(140_000) }
    const bytes = Buffer.byteLength(JSON.stringify(value), 'utf8')
    expect(bytes).toBeGreaterThan(MAX_VALUE_BYTES)
    const err = await failsAndChangesNothing(star, [s.doc, x], 'upsert', { id: x, type: 'Doc', value }, 1014)
    expect(err.details).toEqual({ kind: 'PAYLOAD_TOO_LARGE', size: bytes, limit: MAX_VALUE_BYTES })
  })

  it('refuses patching or deleting what does not exist (1002) and changes nothing', async () => {
    const star = freshStar()
    const s = await seed(star)
    const ghost = randomUUID()
    const ids = [s.doc, ghost]
    const patch = await failsAndChangesNothing(star, ids, 'patch', { id: ghost, value: { a: 1 } }, 1002)
    expect(patch.details).toEqual({ kind: 'NOT_FOUND', id: ghost })
    await failsAndChangesNothing(star, ids, 'delete', { id: ghost }, 1002)
    await rpc(star, 'delete', { id: s.doc })
    await failsAndChangesNothing(star, ids, 'delete', { id: s.doc }, 1002)
    await failsAndChangesNothing(
      star,
      ids,
      'transaction',
      {
        ops: [
          { op: 'upsert', id: ghost, type: 'Doc', value: { kind: 'x' } },
          { op: 'patch', id: s.doc, value: { text: 'deleted already' } },
        ],
      },
      1002,
    )
  })
})
