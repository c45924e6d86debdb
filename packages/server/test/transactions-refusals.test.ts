// Store invariants across transactions: references, schemas, types, value limits, missing entities.
import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { freshStar } from './helpers'
import { rpc } from './rpc-client'
import { failsAndChangesNothing, MAX_VALUE_BYTES, seed } from './transaction-helpers'

describe('transactions: refusals', () => {
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
