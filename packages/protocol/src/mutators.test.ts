// The built-in mutators: their args, the writes they make, and the mapping of writes to one mutation.
import fc from 'fast-check'
import * as v from 'valibot'
import { describe, expect, it } from 'vitest'
import type { JsonObject } from './entity'
import {
  BUILT_IN_MUTATORS,
  isBuiltInMutator,
  mutationOfOps,
  opsOfMutation,
  type PushedWriteOp,
  PushedWriteOpSchema,
} from './mutators'

const value = fc.dictionary(fc.constantFrom('title', 'status', 'n'), fc.oneof(fc.string(), fc.integer()), {
  maxKeys: 3,
}) as fc.Arbitrary<JsonObject>
const ifMatch = fc.option(fc.nat(20), { nil: undefined })
const withIfMatch = <T extends object>(op: T, m: number | undefined) =>
  m === undefined ? op : { ...op, ifMatch: m }
const op: fc.Arbitrary<PushedWriteOp> = fc.oneof(
  fc
    .tuple(fc.uuid(), fc.constantFrom('Task', 'Doc'), value, ifMatch)
    .map(([id, type, val, m]) => withIfMatch({ op: 'upsert' as const, id, type, value: val }, m)),
  fc
    .tuple(fc.uuid(), value, ifMatch)
    .map(([id, val, m]) => withIfMatch({ op: 'patch' as const, id, value: val }, m)),
  fc.tuple(fc.uuid(), ifMatch).map(([id, m]) => withIfMatch({ op: 'delete' as const, id }, m)),
)

describe('built-in mutators', () => {
  it('make exactly the writes of the mutation that mutationOfOps gives for them', () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 5 }), (ops) => {
        const mutation = mutationOfOps(ops)!
        expect(mutation.name).toBe(ops.length === 1 ? ops[0]!.op : 'transaction')
        expect(opsOfMutation(mutation.name, mutation.args)).toEqual(ops)
      }),
      { numRuns: 200 },
    )
    expect(mutationOfOps([])).toBeUndefined()
  })

  it('check their args with the same schemas the wire uses', () => {
    fc.assert(
      fc.property(op, (o) => {
        expect(v.is(PushedWriteOpSchema, o)).toBe(true)
      }),
      { numRuns: 100 },
    )
    const upsert = BUILT_IN_MUTATORS.upsert.args['~standard'].validate({ type: 'Task', value: {} })
    expect('issues' in upsert && upsert.issues).toBeTruthy()
    expect(() => opsOfMutation('transaction', { ops: [] })).toThrow(/Invalid args for transaction/)
  })

  it('are the only reserved names', () => {
    expect(Object.keys(BUILT_IN_MUTATORS).sort()).toEqual(['delete', 'patch', 'transaction', 'upsert'])
    expect(isBuiltInMutator('upsert')).toBe(true)
    expect(isBuiltInMutator('toString')).toBe(false)
  })
})
