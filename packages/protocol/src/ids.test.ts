// The UUID check: every generated id passes in any case, nothing else does.
import fc from 'fast-check'
import * as v from 'valibot'
import { describe, expect, it } from 'vitest'
import { EntityIdSchema, isUuid, normalizeId } from './ids'

describe('entity ids', () => {
  it('accept every UUID, lowercased, and agree with the schema', () => {
    fc.assert(
      fc.property(fc.uuid(), fc.boolean(), (uuid, upper) => {
        const given = upper ? uuid.toUpperCase() : uuid
        expect(normalizeId(given)).toBe(uuid.toLowerCase())
        expect(isUuid(uuid.toLowerCase())).toBe(true)
        expect(isUuid(given)).toBe(!upper || given === uuid)
        expect(v.parse(EntityIdSchema, given)).toBe(uuid.toLowerCase())
      }),
      { numRuns: 200 },
    )
  })

  it('refuse anything else, the same way as the schema', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (s) => {
        expect(normalizeId(s) !== undefined).toBe(v.is(EntityIdSchema, s))
      }),
      { numRuns: 300 },
    )
    for (const bad of [
      '',
      'nope',
      '0b6f3c1e8d2a4f4e9c3b2a1d5e6f7a8b',
      ' 0b6f3c1e-8d2a-4f4e-9c3b-2a1d5e6f7a8b',
      7,
    ])
      expect(normalizeId(bad)).toBeUndefined()
  })
})
