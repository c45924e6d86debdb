// JSON Merge Patch and stable JSON: the properties both sides rely on.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { JsonObject } from './entity'
import { diffMergePatch, jsonEqual, mergePatch, readField, stableJson } from './json'

// JSON values without nulls inside objects (a null member cannot survive a merge patch: it means remove).
const key = fc.constantFrom('a', 'b', 'c', 'd', '__x', 'é')
const { value: jsonValue } = fc.letrec<{ value: unknown; object: JsonObject }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', maxDepth: 3 },
    fc.string({ maxLength: 4 }),
    fc.integer(),
    fc.boolean(),
    fc.array(tie('value'), { maxLength: 3 }),
    tie('object'),
  ),
  object: fc.dictionary(key, tie('value'), { maxKeys: 4 }) as fc.Arbitrary<JsonObject>,
}))
const jsonObject = fc.dictionary(key, jsonValue, { maxKeys: 4 }) as fc.Arbitrary<JsonObject>
const patch = fc.dictionary(key, fc.oneof(jsonValue, fc.constant(null)), {
  maxKeys: 4,
}) as fc.Arbitrary<JsonObject>
const RUNS = { numRuns: 300 }

describe('mergePatch (RFC 7386)', () => {
  it('follows the examples of RFC 7386, appendix A', () => {
    expect(mergePatch({ a: 'b' }, { a: 'c' })).toEqual({ a: 'c' })
    expect(mergePatch({ a: 'b' }, { b: 'c' })).toEqual({ a: 'b', b: 'c' })
    expect(mergePatch({ a: 'b' }, { a: null })).toEqual({})
    expect(mergePatch({ a: 'b', b: 'c' }, { a: null })).toEqual({ b: 'c' })
    expect(mergePatch({ a: ['b'] }, { a: 'c' })).toEqual({ a: 'c' })
    expect(mergePatch({ a: { b: 'c' } }, { a: { b: 'd', c: null } })).toEqual({ a: { b: 'd' } })
    expect(mergePatch({ a: [{ b: 'c' }] }, { a: [1] })).toEqual({ a: [1] })
    expect(mergePatch({ e: null }, { a: 1 })).toEqual({ e: null, a: 1 })
    expect(mergePatch([1, 2], { a: 'b', c: null })).toEqual({ a: 'b' })
    expect(mergePatch({}, { a: { bb: { ccc: null } } })).toEqual({ a: { bb: {} } })
  })

  it('is idempotent and leaves its inputs alone', () => {
    fc.assert(
      fc.property(jsonObject, patch, (target, p) => {
        const before = stableJson(target)
        const once = mergePatch(target, p)
        expect(stableJson(target)).toBe(before)
        expect(mergePatch(once, p)).toEqual(once)
      }),
      RUNS,
    )
  })

  it('turns any value into any other through the diff between them', () => {
    fc.assert(
      fc.property(jsonObject, jsonObject, (before, after) => {
        const p = diffMergePatch(before, after)
        expect(p === undefined).toBe(jsonEqual(before, after))
        expect(stableJson(p === undefined ? before : mergePatch(before, p))).toBe(stableJson(after))
      }),
      RUNS,
    )
  })
})

describe('stableJson', () => {
  it('is the same whatever the key order, and parses back to an equal value', () => {
    fc.assert(
      fc.property(jsonObject, (value) => {
        const reversed = Object.fromEntries(Object.entries(value).reverse())
        expect(stableJson(reversed)).toBe(stableJson(value))
        expect(JSON.parse(stableJson(value))).toEqual(value)
      }),
      RUNS,
    )
  })

  it('tells different values apart and leaves undefined members out', () => {
    fc.assert(
      fc.property(jsonValue, jsonValue, (a, b) => {
        expect(stableJson(a) === stableJson(b)).toBe(
          JSON.stringify(sortDeep(a)) === JSON.stringify(sortDeep(b)),
        )
      }),
      RUNS,
    )
    expect(stableJson({ a: 1, b: undefined })).toBe('{"a":1}')
    expect(stableJson({ a: 1 })).not.toBe(stableJson({ a: '1' }))
  })
})

describe('readField', () => {
  it('walks dotted keys through objects only', () => {
    expect(readField({ a: { b: 1 } }, 'a.b')).toBe(1)
    expect(readField({ a: [{ b: 1 }] }, 'a.0')).toBeUndefined()
    expect(readField({ a: 1 }, 'a.b')).toBeUndefined()
    expect(readField({}, 'constructor')).toBeUndefined()
  })
})

/** A reference canonical form, written independently of stableJson. */
function sortDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortDeep)
  if (typeof value !== 'object' || value === null) return value
  const entries = Object.entries(value).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))
  return Object.fromEntries(entries.map(([k, v]) => [k, sortDeep(v)]))
}
