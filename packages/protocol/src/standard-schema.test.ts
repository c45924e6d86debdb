// Standard Schema validation: one result shape for every vendor, async schemas refused.
import type { StandardSchemaV1 } from '@standard-schema/spec'
import fc from 'fast-check'
import * as v from 'valibot'
import { describe, expect, it } from 'vitest'
import { AsyncSchemaError, describeIssues, validateSync } from './standard-schema'

const Task = v.object({ title: v.pipe(v.string(), v.minLength(1)), tags: v.optional(v.array(v.string())) })

describe('validateSync', () => {
  it('agrees with the vendor on what passes and gives its output', () => {
    fc.assert(
      fc.property(fc.anything({ maxDepth: 2 }), (input) => {
        const ours = validateSync(Task, input, 'Task')
        const theirs = v.safeParse(Task, input)
        expect(ours.ok).toBe(theirs.success)
        if (ours.ok && theirs.success) expect(ours.value).toEqual(theirs.output)
      }),
      { numRuns: 300 },
    )
  })

  it('flattens issue paths to dotted keys', () => {
    const r = validateSync(Task, { title: '', tags: ['a', 3] }, 'Task')
    expect(r.ok).toBe(false)
    if (r.ok) return
    expect(r.issues.map((i) => i.path)).toEqual(['title', 'tags.1'])
    expect(describeIssues([{ path: '', message: 'm' }])).toBe('$: m')
  })

  it('refuses an async schema', () => {
    const later: StandardSchemaV1<unknown, unknown> = {
      '~standard': { version: 1, vendor: 'test', validate: async (value) => ({ value }) },
    }
    expect(() => validateSync(later, 1, 'shape later')).toThrow(AsyncSchemaError)
  })
})
