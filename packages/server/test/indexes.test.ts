// Declared indexes are real SQLite expression indexes, and filters on them are answered from them.
import { compilePredicate, type Filter } from '@lumenize/protocol'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { freshStar } from './helpers'
import { rpc } from './rpc-client'

async function plan(star: string, type: string, where: unknown): Promise<string> {
  return (await rpc(star, 'star.explain', { type, where })).join('\n')
}

describe('declared indexes', () => {
  it('answer equality, $in and ranges on an indexed field from the index, not a scan', async () => {
    const star = freshStar()
    const ops = Array.from({ length: 300 }, (_, i) => ({
      op: 'upsert',
      type: 'Doc',
      value: { kind: i % 3 === 0 ? 'note' : 'other', n: i, tags: ['x'] },
    }))
    await rpc(star, 'transaction', { ops })
    for (const where of [{ kind: 'note' }, { kind: { $in: ['note', 'memo'] } }]) {
      const p = await plan(star, 'Doc', where)
      expect(p).toContain('ix_Doc_kind')
      expect(p).not.toMatch(/SCAN s\b(?! USING)/)
    }
    const result = (await rpc(star, 'query', { type: 'Doc', where: { kind: 'note' }, limit: 1000 })) as {
      entities: unknown[]
    }
    expect(result.entities).toHaveLength(100)
  })

  it('answers a filter on an undeclared field by scanning only the current rows of the type', async () => {
    const star = freshStar()
    await rpc(star, 'upsert', { type: 'Doc', value: { colour: 'red' } })
    const p = await plan(star, 'Doc', { colour: 'red' })
    expect(p).not.toContain('ix_Doc_kind')
    expect(p).toContain('snapshots_current_type')
  })
})

describe('index hint', () => {
  it('never changes which rows a filter on an indexed field returns (random values and filters)', async () => {
    const star = freshStar()
    const atom = fc.oneof(
      fc.constantFrom('a', 'b', 'é', '𝄞', ''),
      fc.integer({ min: -3, max: 3 }),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.boolean(),
    )
    const kind = fc.oneof(atom, fc.array(atom, { maxLength: 3 }), fc.constant(null), fc.constant(undefined))
    const docs = fc.sample(kind, { numRuns: 200, seed: 7 })
    const atoms = docs.flatMap((k) => (Array.isArray(k) ? k : k === undefined || k === null ? [] : [k]))
    const ops = docs.map((k) => ({
      op: 'upsert',
      type: 'Doc',
      value: k === undefined ? { other: 1 } : { kind: k },
    }))
    await rpc(star, 'transaction', { ops })
    const pick = fc.constantFrom(...atoms, 'zzz', 42)
    const filters = fc.sample(
      fc.oneof(
        pick.map((v) => ({ kind: v })),
        pick.map((v) => ({ kind: { $eq: v } })),
        fc.array(pick, { minLength: 1, maxLength: 4 }).map((vs) => ({ kind: { $in: vs } })),
      ),
      { numRuns: 60, seed: 11 },
    )
    for (const where of filters) {
      const { entities } = (await rpc(star, 'query', { type: 'Doc', where, limit: 10_000 })) as {
        entities: Array<{ id: string; value: unknown }>
      }
      const all = (await rpc(star, 'query', { type: 'Doc', limit: 10_000 })) as {
        entities: Array<{ id: string; value: unknown }>
      }
      const expected = all.entities.filter((e) => compilePredicate(where as Filter)(e.value)).map((e) => e.id)
      expect(entities.map((e) => e.id)).toEqual(expected)
    }
  })
})
