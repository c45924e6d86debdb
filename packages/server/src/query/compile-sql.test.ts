// The SQL text compileWhere emits: its shape, its parameter budget, and that values never enter it.
// Whether the SQL selects the right rows is checked on workerd in test/query.property.test.ts.
import { type Filter, FilterError } from '@lumenize/protocol'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { compileWhere, MAX_FILTER_SQL_PARAMS } from './compile-sql'

const placeholders = (sql: string): number => sql.split('?').length - 1

describe('compileWhere', () => {
  it('emits the indexable form for scalar equality and binds the value', () => {
    const { sql, params } = compileWhere({ status: 'open' })
    expect(sql).toContain("json_extract(value, '$.status') = ?")
    expect(sql).toContain("json_type(value, '$.status') IN ('text')")
    expect(params).toEqual(['open', 'open'])
  })

  it('inlines dotted paths with array indexes as JSON path literals', () => {
    expect(compileWhere({ 'a.b.0.c-d.$e': 'x' }).sql).toContain("json_extract(value, '$.a.b[0].c-d.$e') = ?")
  })

  it('uses the given value column everywhere', () => {
    const { sql } = compileWhere({ tags: 'x', n: { $in: [1, 2] }, m: null }, 'e.value')
    expect(sql).toContain("json_extract(e.value, '$.tags') = ?")
    // Every `value` is qualified: the row's `e.value` or json_each's `jq.value`.
    expect(sql).toContain('jq.value')
    expect(sql).not.toMatch(/(^|[^.\w])value\b/)
    expect(() => compileWhere({}, 'value; DROP TABLE t')).toThrow(TypeError)
    expect(() => compileWhere({}, 'x.y.z')).toThrow(TypeError)
  })

  it('binds numbers as JSON text for SQLite to read as it read the stored JSON', () => {
    const { sql, params } = compileWhere({ n: { $gt: 0.1 } })
    expect(sql).toContain("json_extract(value, '$.n') > json_extract(?, '$')")
    expect(sql).toContain("je.atom > json_extract(?, '$')")
    expect(params).toEqual(['0.1', '0.1'])
    expect(compileWhere({ n: -0 }).params).toEqual(['0', '0'])
  })

  it('binds booleans as 1 and 0 and checks the JSON type', () => {
    const { sql, params } = compileWhere({ done: true, gone: false })
    expect(params).toEqual([1, 1, 0, 0])
    expect(sql).toContain("IN ('true', 'false')")
  })

  it('needs no parameters for null, $exists and the empty filter', () => {
    expect(compileWhere({ a: null })).toEqual({
      sql: "(json_type(value, '$.a') IS NULL OR json_type(value, '$.a') = 'null')",
      params: [],
    })
    expect(compileWhere({ a: { $exists: false } })).toEqual({
      sql: "json_type(value, '$.a') IS NULL",
      params: [],
    })
    expect(compileWhere({})).toEqual({ sql: '1', params: [] })
    expect(compileWhere({ a: { $in: [] } })).toEqual({ sql: '0', params: [] })
  })

  it('negates with IS NOT TRUE so that NULL counts as a non-match', () => {
    expect(compileWhere({ a: { $ne: 'x' } }).sql).toMatch(/^\(\(.*\) IS NOT TRUE\)$/)
  })

  it('binds an $in list as one JSON array per type, whatever its length', () => {
    const many = Array.from({ length: 1000 }, (_, i) => `s${i}`)
    const strings = compileWhere({ a: { $in: many } })
    expect(strings.params).toEqual([JSON.stringify(many), JSON.stringify(many)])
    expect(strings.sql).toContain('json_each(?)')
    const mixed = compileWhere({ a: { $nin: [...many.slice(4), 1, 2.5, true, null] } })
    expect(mixed.params).toHaveLength(6)
    expect(mixed.params).toContain('[1,2.5]')
    expect(mixed.params).toContain('[1]')
  })

  it('refuses a filter that needs more parameters than workerd binds', () => {
    const ors = (n: number): Filter => ({ $or: Array.from({ length: n }, (_, i) => ({ a: `v${i}` })) })
    expect(compileWhere(ors(MAX_FILTER_SQL_PARAMS / 2)).params).toHaveLength(MAX_FILTER_SQL_PARAMS)
    expect(() => compileWhere(ors(MAX_FILTER_SQL_PARAMS / 2 + 1))).toThrow(FilterError)
    expect(() => compileWhere(ors(MAX_FILTER_SQL_PARAMS / 2 + 1))).toThrow(/filter too large/)
  })

  it('validates the filter, so no malformed path reaches the SQL', () => {
    expect(() => compileWhere({ "a') OR 1=1 --": 1 })).toThrow(FilterError)
    expect(() => compileWhere({ 'a.b c': 1 })).toThrow(FilterError)
    expect(() => compileWhere({ a: { $in: 'x' } } as unknown as Filter)).toThrow(FilterError)
  })

  it('never puts a value into the SQL text, and binds one per placeholder', () => {
    const marker = fc.string({ unit: 'binary', maxLength: 6 }).map((s) => `MARK'"${s}`)
    const operand = fc.oneof(marker, fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean())
    const path = fc.constantFrom('a', 'b.c', 'd.0', 'x-y.$z')
    const { filter } = fc.letrec<{ filter: Filter }>((tie) => ({
      filter: fc.oneof(
        { depthSize: 'small', maxDepth: 3 },
        fc.tuple(path, marker).map(([p, v]): Filter => ({ [p]: v })),
        fc
          .tuple(path, fc.constantFrom('$eq', '$ne', '$gt', '$gte', '$lt', '$lte'), marker)
          .map(([p, op, v]): Filter => ({ [p]: { [op]: v } })),
        fc
          .tuple(
            path,
            fc.constantFrom('$in', '$nin'),
            fc.array(fc.oneof(operand, fc.constant(null)), { maxLength: 4 }),
          )
          .map(([p, op, v]): Filter => ({ [p]: { [op]: [...v, 'MARK'] } })),
        fc.tuple(path, marker).map(([p, v]): Filter => ({ [p]: { $not: { $eq: v } } })),
        fc.array(tie('filter'), { minLength: 1, maxLength: 3 }).map((fs): Filter => ({ $or: fs })),
        fc.array(tie('filter'), { minLength: 1, maxLength: 3 }).map((fs): Filter => ({ $and: fs })),
        tie('filter').map((f): Filter => ({ $not: f })),
      ),
    }))
    fc.assert(
      fc.property(filter, (f) => {
        let compiled: ReturnType<typeof compileWhere>
        try {
          compiled = compileWhere(f)
        } catch (error) {
          expect(error).toBeInstanceOf(FilterError)
          expect(String(error)).toContain('filter too large')
          return
        }
        expect(compiled.sql).not.toContain('MARK')
        expect(compiled.params.length).toBe(placeholders(compiled.sql))
        expect(compiled.params.length).toBeLessThanOrEqual(MAX_FILTER_SQL_PARAMS)
        expect(compiled.params.some((p) => typeof p === 'string' && p.includes('MARK'))).toBe(true)
      }),
      // 200 runs take about 0.5 s alone, so the test stays well inside its timeout on two busy
      // cores (500 took 4.2 s of 5 s there); the SQL agreement itself is property-tested on workerd.
      { numRuns: 200 },
    )
  })
})
