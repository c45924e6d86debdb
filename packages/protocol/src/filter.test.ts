// The filter language: path parsing, validation errors with their locations, predicate semantics.
import { describe, expect, it } from 'vitest'
import type { Filter } from './filter'
import { compareCodePoints, sqliteNumber } from './filter-order'
import { FilterError, MAX_FILTER_DEPTH, parseFilter, parsePath, validateFilter } from './filter-parse'
import { compilePredicate } from './filter-predicate'

describe('parsePath', () => {
  it.each([
    ['status', ['status']],
    ['a.b.c', ['a', 'b', 'c']],
    ['items.0.sku', ['items', 0, 'sku']],
    ['tags.12', ['tags', 12]],
    ['x-y.$ref._', ['x-y', '$ref', '_']],
    ['$k', ['$k']],
    ['a.999999999', ['a', 999999999]],
  ])('parses %j', (path, segments) => {
    expect(parsePath(path)).toEqual(segments)
  })

  it.each([
    '',
    'a..b',
    '.a',
    'a.',
    'a b',
    "a'b",
    'a"b',
    'a[0]',
    'é',
    '1a',
    '-a',
    'a.01',
    'a.1234567890',
    '0',
    '0.a',
    'a.b\n',
    `a${'.b'.repeat(32)}`,
    'a'.repeat(513),
  ])('rejects %j', (path) => {
    expect(() => parsePath(path)).toThrow(FilterError)
  })
})

describe('validateFilter', () => {
  it('returns a valid filter unchanged', () => {
    const filter = {
      status: 'open',
      'meta.priority': { $gte: 2, $lt: 9 },
      tags: { $in: ['a', 1, true, null], $nin: [] },
      $or: [{ done: false }, { $not: { owner: null } }],
      $and: [{ note: { $exists: true } }, { note: { $not: { $eq: '' } } }],
    }
    expect(validateFilter(filter)).toBe(filter)
    expect(validateFilter({})).toEqual({})
    expect(validateFilter(Object.assign(Object.create(null), { a: 1 }))).toEqual({ a: 1 })
  })

  it.each<[string, unknown, string, string]>([
    ['a non-object', null, '', 'must be an object'],
    ['an array', [], '', 'must be an object'],
    ['a Date', new Date(0), '', 'must be an object'],
    ['an unknown top-level operator', { $nor: [] }, '$nor', 'unknown operator $nor'],
    ['an unknown field operator', { a: { $regex: 'x' } }, 'a.$regex', 'unknown operator $regex'],
    ['$in without an array', { a: { $in: 'x' } }, 'a.$in', 'array'],
    ['$nin without an array', { a: { $nin: 1 } }, 'a.$nin', 'array'],
    ['an object in $in', { a: { $in: [1, {}] } }, 'a.$in[1]', 'operands must be'],
    ['too many $in items', { a: { $in: Array(1001).fill(1) } }, 'a.$in', 'more than 1000'],
    ['$exists with a number', { a: { $exists: 1 } }, 'a.$exists', 'true or false'],
    ['an empty $and', { $and: [] }, '$and', 'non-empty array'],
    ['$or with an object', { $or: { a: 1 } }, '$or', 'non-empty array'],
    ['a scalar inside $or', { $or: [{ a: 1 }, 5] }, '$or[1]', 'must be an object'],
    ['$not with an array', { $not: [{ a: 1 }] }, '$not', 'must be an object'],
    ['a path with a space', { 'a b': 1 }, '["a b"]', 'not allowed'],
    ['a path with a quote', { "a'); --": 1 }, `[${JSON.stringify("a'); --")}]`, 'not allowed'],
    ['a path starting with an index', { '0.a': 1 }, '["0.a"]', 'start with a key'],
    ['an index with leading zeros', { 'a.01': 1 }, '["a.01"]', 'leading zeros'],
    ['equality with an object', { a: { b: 1 } }, 'a', 'equality against an object'],
    ['an empty operator object', { a: {} }, 'a', 'equality against an object'],
    ['operators mixed with keys', { a: { $gt: 1, b: 2 } }, 'a', 'equality against an object'],
    ['equality with an array', { a: [1] }, 'a', 'equality against an array'],
    ['$eq with an array', { a: { $eq: [1] } }, 'a.$eq', 'operands must be'],
    ['$gt with a boolean', { a: { $gt: true } }, 'a.$gt', 'number or a string'],
    ['$lte with null', { a: { $lte: null } }, 'a.$lte', 'number or a string'],
    ['NaN', { a: Number.NaN }, 'a', 'finite'],
    ['Infinity', { a: { $lt: Number.POSITIVE_INFINITY } }, 'a.$lt', 'finite'],
    ['undefined', { a: undefined }, 'a', 'operands must be'],
    ['a bigint', { a: 1n }, 'a', 'operands must be'],
    ['a lone surrogate', { a: 'x\uD800' }, 'a', 'well-formed'],
    ['field $not with a scalar', { a: { $not: 1 } }, 'a.$not', 'operator object'],
    ['field $not with nothing in it', { a: { $not: {} } }, 'a.$not', 'operator object'],
    [
      'field $not with an unknown operator',
      { a: { $not: { $size: 1 } } },
      'a.$not.$size',
      'unknown operator',
    ],
    [
      'a deep error',
      { $and: [{ $or: [{ a: 1 }, { b: { $in: [1, [2]] } }] }] },
      '$and[0].$or[1].b.$in[1]',
      '',
    ],
  ])('rejects %s, naming where', (_name, input, path, message) => {
    let error: unknown
    try {
      validateFilter(input)
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(FilterError)
    expect((error as FilterError).path).toBe(path)
    expect((error as FilterError).message).toContain(message)
  })

  it('accepts nesting up to the limit and rejects one level more', () => {
    const nested = (levels: number): Filter => (levels === 1 ? { a: 1 } : { $not: nested(levels - 1) })
    // { a: 1 } is a filter and a field: two levels. Each $not adds one.
    expect(() => validateFilter(nested(MAX_FILTER_DEPTH - 1))).not.toThrow()
    expect(() => validateFilter(nested(MAX_FILTER_DEPTH))).toThrow(/deeper than 32/)
    const deepOps = (levels: number): Record<string, unknown> =>
      levels === 0 ? { $eq: 1 } : { $not: deepOps(levels - 1) }
    expect(() => validateFilter({ a: deepOps(60) })).toThrow(/deeper than 32/)
  })

  it('accepts 500 nodes and rejects 501', () => {
    // The root, then a filter and a field per $and item, then one node per extra field.
    const items = Array.from({ length: 249 }, () => ({ a: 1 }))
    expect(() => validateFilter({ $and: items, b: 1 })).not.toThrow()
    expect(() => validateFilter({ $and: items, b: 1, c: 1 })).toThrow(/more than 500 nodes/)
  })

  it('normalizes $ne, $nin and -0', () => {
    expect(parseFilter({ a: { $ne: -0 }, b: { $nin: ['x'] } })).toEqual({
      kind: 'and',
      nodes: [
        { kind: 'not', node: { kind: 'eq', path: ['a'], value: 0 } },
        { kind: 'not', node: { kind: 'in', path: ['b'], values: ['x'] } },
      ],
    })
  })
})

describe('compareCodePoints', () => {
  it('orders by code point, unlike JS <', () => {
    // U+1F600 is stored as the surrogates D83D DE00, which JS puts before U+FFFD.
    expect('\u{1F600}' < '\uFFFD').toBe(true)
    expect(compareCodePoints('\u{1F600}', '\uFFFD')).toBeGreaterThan(0)
    expect(compareCodePoints('\uE000', '\u{10000}')).toBeLessThan(0)
    expect(compareCodePoints('\u{1F600}', '\u{1F601}')).toBeLessThan(0)
    expect(compareCodePoints('a', 'ab')).toBeLessThan(0)
    expect(compareCodePoints('B', 'a')).toBeLessThan(0)
    expect(compareCodePoints('é', 'é')).toBe(0)
    expect(compareCodePoints('a\u0000', 'a')).toBeGreaterThan(0)
  })
})

describe('sqliteNumber', () => {
  it('is the number itself for integers and most decimals', () => {
    for (const n of [0, 1, -1, 42, 2 ** 53, -(2 ** 53), 0.1, 0.3, 1.5, -2.5, 1e-7, 123.456, 1e21, 5e-324]) {
      expect(sqliteNumber(n)).toBe(n)
    }
    expect(Object.is(sqliteNumber(-0), 0)).toBe(true)
  })

  it('reproduces where SQLite reads a decimal off the nearest double (seen on workerd)', () => {
    expect(sqliteNumber(4.146141217930657e-260)).not.toBe(4.146141217930657e-260)
    expect(sqliteNumber(1.432515540016191e-90)).toBe(sqliteNumber(1.4325155400161912e-90))
    // So the predicate finds 1.4325155400161912e-90 equal to its neighbour, as SQL does.
    expect(compilePredicate({ a: 1.432515540016191e-90 })({ a: 1.4325155400161912e-90 })).toBe(true)
  })
})

describe('compilePredicate', () => {
  const doc = {
    status: 'open',
    n: 2,
    f: 1.5,
    yes: true,
    no: false,
    nil: null,
    zero: 0,
    one: '1',
    tags: ['urgent', 'ui', 3, null, ['nested'], { k: 1 }],
    nums: [1, 10],
    meta: { owner: { name: 'ann' }, 'x-y': 7, $ref: 'r', list: [{ id: 'p' }] },
    emoji: '\u{1F600}',
    repl: '\uFFFD',
  }

  it.each<[Filter, boolean]>([
    [{}, true],
    [{ status: 'open' }, true],
    [{ status: 'closed' }, false],
    [{ status: { $eq: 'open' } }, true],
    // Types never cross.
    [{ one: 1 }, false],
    [{ one: '1' }, true],
    [{ yes: 1 }, false],
    [{ yes: true }, true],
    [{ zero: false }, false],
    [{ zero: -0 }, true],
    [{ n: { $gt: '1' } }, false],
    [{ one: { $lt: 2 } }, false],
    // Null means null or missing; $exists tells them apart.
    [{ nil: null }, true],
    [{ missing: null }, true],
    [{ status: null }, false],
    [{ nil: { $exists: true } }, true],
    [{ missing: { $exists: true } }, false],
    [{ missing: { $exists: false } }, true],
    [{ 'status.length': { $exists: true } }, false],
    [{ 'tags.length': { $exists: true } }, false],
    [{ 'n.0': { $exists: true } }, false],
    // Arrays: a direct element matches; nested arrays and objects do not; null elements do not.
    [{ tags: 'urgent' }, true],
    [{ tags: 3 }, true],
    [{ tags: 'nested' }, false],
    [{ tags: null }, false],
    [{ tags: { $ne: 'ui' } }, false],
    [{ tags: { $ne: 'x' } }, true],
    [{ nums: { $gt: 3, $lt: 9 } }, true],
    [{ nums: { $gt: 10 } }, false],
    [{ nums: { $not: { $gt: 3, $lt: 9 } } }, false],
    [{ 'tags.0': 'urgent' }, true],
    [{ 'tags.1': 'urgent' }, false],
    [{ 'tags.4.0': 'nested' }, true],
    [{ 'tags.5.k': 1 }, true],
    [{ 'tags.9': { $exists: false } }, true],
    // Paths do not look into arrays in the middle.
    [{ 'meta.list.id': 'p' }, false],
    [{ 'meta.list.0.id': 'p' }, true],
    [{ 'meta.owner.name': 'ann' }, true],
    [{ 'meta.x-y': 7 }, true],
    [{ 'meta.$ref': 'r' }, true],
    [{ 'meta.owner.0': { $exists: true } }, false],
    // Ranges: numbers numerically, strings by code point, never across types.
    [{ n: { $gt: 1.5 } }, true],
    [{ f: { $gte: 1.5, $lte: 1.5 } }, true],
    [{ status: { $gt: 'o' } }, true],
    [{ status: { $gt: 'open' } }, false],
    [{ status: { $gte: 'open' } }, true],
    [{ emoji: { $gt: '\uFFFD' } }, true],
    [{ repl: { $lt: '\u{1F600}' } }, true],
    [{ yes: { $gt: 0 } }, false],
    [{ nil: { $lt: 1 } }, false],
    [{ missing: { $lt: 1 } }, false],
    // $in and $nin are OR of $eq and its negation.
    [{ status: { $in: ['x', 'open'] } }, true],
    [{ status: { $in: [] } }, false],
    [{ status: { $nin: [] } }, true],
    [{ missing: { $in: [1, null] } }, true],
    [{ missing: { $nin: [1, null] } }, false],
    [{ tags: { $in: ['ui', 99] } }, true],
    [{ tags: { $nin: [3] } }, false],
    [{ n: { $in: ['2', true] } }, false],
    // Logic.
    [{ $and: [{ status: 'open' }, { n: 2 }] }, true],
    [{ $and: [{ status: 'open' }, { n: 3 }] }, false],
    [{ $or: [{ status: 'x' }, { n: 2 }] }, true],
    [{ $or: [{ status: 'x' }, { n: 3 }] }, false],
    [{ $not: { status: 'open' } }, false],
    [{ $not: {} }, false],
    [{ status: 'open', n: 3 }, false],
    [{ missing: { $ne: 1 } }, true],
    [{ missing: { $not: { $gt: 1 } } }, true],
  ])('%j → %s', (filter, expected) => {
    expect(compilePredicate(filter)(doc)).toBe(expected)
  })

  it('finds only own properties', () => {
    expect(compilePredicate({ constructor: { $exists: true } })({})).toBe(false)
    expect(compilePredicate({ 'a.toString': { $exists: true } })({ a: {} })).toBe(false)
    // JSON.parse makes `__proto__` an own key, as it arrives from the wire.
    const filter = JSON.parse('{"__proto__": {"$exists": true}}') as Filter
    expect(compilePredicate(filter)({})).toBe(false)
    expect(compilePredicate(filter)(JSON.parse('{"__proto__": 1}'))).toBe(true)
  })

  it('treats non-objects and undefined like JSON would', () => {
    const exists = compilePredicate({ a: { $exists: true } })
    expect(exists(null)).toBe(false)
    expect(exists('a')).toBe(false)
    expect(exists([{ a: 1 }])).toBe(false)
    expect(exists({ a: undefined })).toBe(false)
    expect(compilePredicate({ a: null })({ a: undefined })).toBe(true)
  })

  it('validates like validateFilter', () => {
    expect(() => compilePredicate({ a: { $in: 'x' } } as unknown as Filter)).toThrow(FilterError)
  })
})
