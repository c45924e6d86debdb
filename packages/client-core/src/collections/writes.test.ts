// Rows, merge patches, and the mutations a collection edit becomes.

import { diffMergePatch, mergePatch } from '@lumenize/protocol'
import type { PendingMutation } from '@tanstack/db'
import { describe, expect, it } from 'vitest'
import { type EntityRow, entitySchema } from '../rows'
import { temporalOf } from '../temporal'
import { toServerMutation } from './writes'

const id = '00000000-0000-4000-8000-000000000001'
const row = (value: Record<string, unknown>, extra: Partial<EntityRow> = {}): EntityRow =>
  ({
    id,
    type: 'Task',
    value,
    version: 3,
    validFrom: 1,
    validTo: 8.64e15,
    deleted: false,
    clientId: null,
    mutationId: null,
    ...extra,
  }) as EntityRow
const m = (type: 'insert' | 'update' | 'delete', original: object, modified: EntityRow, metadata?: unknown) =>
  ({ type, key: id, original, modified, metadata }) as unknown as PendingMutation<EntityRow>

describe('rows', () => {
  it('fills the metadata of an insert and checks id, type and value', () => {
    const schema = entitySchema(() => 'client-1')
    const ok = schema['~standard'].validate({ type: 'Task', value: { title: 't' } })
    expect('value' in ok && ok.value).toMatchObject({
      type: 'Task',
      version: 0,
      deleted: false,
      clientId: 'client-1',
    })
    const upper = schema['~standard'].validate({ id: id.toUpperCase(), type: 'Task', value: {} })
    expect('value' in upper && upper.value.id).toBe(id)
    const bad = schema['~standard'].validate({ id: 'nope', type: '1x', value: [] })
    expect('issues' in bad && bad.issues?.map((i) => i.path?.[0])).toEqual(['id', 'type', 'value'])
  })

  it('merges and diffs JSON Merge Patches (RFC 7386)', () => {
    const before = { a: 1, b: { c: 2, d: 3 }, e: [1, 2], gone: true }
    const after = { a: 1, b: { c: 5, d: 3 }, e: [1, 2, 3], added: 'x' }
    const patch = diffMergePatch(before, after)
    expect(patch).toEqual({ b: { c: 5 }, e: [1, 2, 3], added: 'x', gone: null })
    expect(mergePatch(before, patch)).toEqual(after)
    expect(diffMergePatch(after, after)).toBeUndefined()
  })

  it('gives validFrom/validTo as Temporal.Instant (validTo null when current)', () => {
    const t = temporalOf(row({}, { validFrom: Date.UTC(2026, 10, 23), validTo: 8.64e15 }))
    expect(t.validFrom.toString()).toBe('2026-11-23T00:00:00Z')
    expect(t.validTo).toBeNull()
  })
})

describe('toServerMutation', () => {
  it('maps one edit to one built-in mutator', () => {
    expect(toServerMutation([m('insert', {}, row({ title: 'a' }))])).toEqual({
      name: 'upsert',
      args: { id, type: 'Task', value: { title: 'a' }, ifMatch: 0 },
    })
    expect(toServerMutation([m('update', row({ title: 'a', n: 1 }), row({ title: 'b', n: 1 }))])).toEqual({
      name: 'patch',
      args: { id, value: { title: 'b' } },
    })
    expect(toServerMutation([m('delete', row({}), row({}))])).toEqual({ name: 'delete', args: { id } })
  })

  it('sends ifMatch when asked, upserts a type change, skips no-ops, batches several edits', () => {
    expect(toServerMutation([m('update', row({ t: 1 }), row({ t: 2 }), { ifMatch: true })])?.args).toEqual({
      id,
      value: { t: 2 },
      ifMatch: 3,
    })
    expect(toServerMutation([m('update', row({ t: 1 }), row({ t: 1 }, { type: 'Doc' }))])?.name).toBe(
      'upsert',
    )
    expect(toServerMutation([m('update', row({ t: 1 }), row({ t: 1 }))])).toBeUndefined()
    const both = toServerMutation([m('insert', {}, row({ a: 1 })), m('delete', row({}), row({}))])
    expect(both?.name).toBe('transaction')
    expect(both?.args.ops).toHaveLength(2)
  })
})
