// Property test: on workerd's real SQLite, compileWhere selects exactly the documents that
// compilePredicate accepts, for random documents and random filters.
import { fileURLToPath } from 'node:url'
import { compilePredicate, type Filter } from '@lumenize/protocol'
import fc from 'fast-check'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { unstable_startWorker } from 'wrangler'
import { compileWhere } from '../src/query/compile-sql'
import type { ProbeRequest, ProbeResponse } from './fixtures/sql-worker'

let worker: Awaited<ReturnType<typeof unstable_startWorker>>
let probeUrl: string

beforeAll(async () => {
  process.env.CLOUDFLARE_CF_FETCH_ENABLED = 'false'
  process.env.WRANGLER_SEND_METRICS = 'false'
  worker = await unstable_startWorker({
    config: fileURLToPath(new URL('./fixtures/sql-worker.jsonc', import.meta.url)),
    dev: {
      server: { hostname: '127.0.0.1', port: 0 },
      inspector: false,
      persist: false,
      watch: false,
      logLevel: 'warn',
    },
  })
  probeUrl = (await worker.url).origin
})

afterAll(async () => {
  await worker?.dispose()
})

/** Runs every filter's SQL over the docs in workerd; returns matching indexes per filter. */
async function sqliteMatches(docs: readonly unknown[], filters: readonly Filter[]): Promise<number[][]> {
  const body: ProbeRequest = { docs: [...docs], queries: filters.map((f) => compileWhere(f)) }
  const response = await fetch(probeUrl, { method: 'POST', body: JSON.stringify(body) })
  expect(response.status).toBe(200)
  const { results } = (await response.json()) as ProbeResponse
  return results.map((r, i) => {
    if ('error' in r) throw new Error(`SQLite rejected ${JSON.stringify(filters[i])}: ${r.error}`)
    return r.ids
  })
}

function predicateMatches(docs: readonly unknown[], filter: Filter): number[] {
  const matches = compilePredicate(filter)
  return docs.flatMap((doc, i) => (matches(doc) ? [i] : []))
}

/** Compares both sides; a mismatch names the filter, its SQL and the documents they disagree on. */
async function expectAgreement(docs: readonly unknown[], filters: readonly Filter[]): Promise<void> {
  const fromSql = await sqliteMatches(docs, filters)
  filters.forEach((filter, i) => {
    const expected = predicateMatches(docs, filter)
    const actual = fromSql[i] ?? []
    if (JSON.stringify(actual) === JSON.stringify(expected)) return
    const differing = [...new Set([...expected, ...actual])].filter(
      (id) => expected.includes(id) !== actual.includes(id),
    )
    const { sql, params } = compileWhere(filter)
    throw new Error(
      `SQLite and the predicate disagree on ${JSON.stringify(filter)}\n` +
        `SQL: ${sql}\nparams: ${JSON.stringify(params)}\n` +
        differing
          .map((id) => `doc ${JSON.stringify(docs[id])}: predicate ${expected.includes(id)}`)
          .join('\n'),
    )
  })
}

// Small pools so that filters hit documents; `$k` and `x-y` exercise the unusual key characters.
const FIELD_KEYS = ['a', 'b', 'c', 'tags', 'x-y', '_'] as const
const KEYS = [...FIELD_KEYS, '$k'] as const
// Hot values come up often on both sides; astral vs U+FFFD is where UTF-16 and UTF-8 orders differ.
const HOT = ['a', 'é', '\u{1F600}', '\uFFFD', 0, 1, 1.5, -1, true, false, null] as const
const STRINGS = ['', 'b', 'B', 'ab', 'z', '\u{10FFFF}', '\uE000', '\u00FF', '1', 'true', 'null', '["a"]']
const ODD_STRINGS = ['a\u0000b', 'a\u0000', 'a\nb', '"q"', "it's", '\\']
const NUMBERS = [-0, 2, -2.5, 10, 0.1, 0.3, 1e-7, 5e-324, 2 ** 53 - 1, -(2 ** 53 - 1), 1e15 + 0.5]

const text = fc.oneof(
  { arbitrary: fc.constantFrom(...STRINGS, ...ODD_STRINGS), weight: 3 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 4 }), weight: 1 },
  { arbitrary: fc.string({ unit: 'grapheme', maxLength: 3 }), weight: 1 },
)
const num = fc.oneof(
  { arbitrary: fc.constantFrom(...NUMBERS), weight: 3 },
  { arbitrary: fc.integer({ min: -3, max: 3 }), weight: 2 },
  { arbitrary: fc.double({ noNaN: true, min: -1e15, max: 1e15 }), weight: 1 },
)
const scalar = fc.oneof(
  { arbitrary: fc.constantFrom(...HOT), weight: 6 },
  { arbitrary: text, weight: 2 },
  { arbitrary: num, weight: 2 },
)
const rangeOperand = fc.oneof(fc.constantFrom('a', '\u{1F600}', '\uFFFD', 1, 0), text, num)

const { json } = fc.letrec<{ json: unknown; list: unknown[]; object: Record<string, unknown> }>((tie) => ({
  json: fc.oneof(
    { depthSize: 'small', maxDepth: 3 },
    { arbitrary: scalar, weight: 4 },
    { arbitrary: tie('list'), weight: 2 },
    { arbitrary: tie('object'), weight: 1 },
  ),
  list: fc.array(tie('json'), { maxLength: 4 }),
  object: fc.dictionary(fc.constantFrom(...KEYS), tie('json'), { maxKeys: 4 }),
}))
// Each key present about half of the time, so `$exists` and null-or-missing split the documents.
const doc = fc.record(Object.fromEntries(KEYS.map((k) => [k, json])), { requiredKeys: [] })

const path = fc
  .tuple(
    fc.constantFrom(...FIELD_KEYS),
    fc.oneof(
      { arbitrary: fc.constant([]), weight: 3 },
      {
        arbitrary: fc.array(fc.oneof(fc.constantFrom(...KEYS), fc.constantFrom('0', '1', '2')), {
          maxLength: 2,
        }),
        weight: 2,
      },
    ),
  )
  .map(([head, tail]) => [head, ...tail].join('.'))

type Ops = Record<string, unknown>

// Mostly one condition per filter and one operator per field, so that match sets are neither
// empty nor everything; combinations come from $and/$or/$not and the occasional second key.
const { filter } = fc.letrec<{ filter: Filter; field: Filter; ops: Ops; op: Ops }>((tie) => ({
  filter: fc.oneof(
    { depthSize: 'small', maxDepth: 3 },
    { arbitrary: tie('field'), weight: 6 },
    { arbitrary: fc.tuple(tie('field'), tie('field')).map(([x, y]) => ({ ...x, ...y })), weight: 1 },
    {
      arbitrary: fc
        .tuple(fc.constantFrom('$and', '$or'), fc.array(tie('filter'), { minLength: 1, maxLength: 3 }))
        .map(([op, filters]) => ({ [op]: filters })),
      weight: 3,
    },
    { arbitrary: tie('filter').map((f) => ({ $not: f })), weight: 1 },
    { arbitrary: fc.tuple(tie('field'), tie('filter')).map(([x, f]) => ({ ...x, $or: [f, x] })), weight: 1 },
    { arbitrary: fc.constant({}), weight: 1 },
  ),
  field: fc.tuple(path, fc.oneof(scalar, tie('ops'))).map(([p, condition]) => ({ [p]: condition })),
  ops: fc.oneof(
    { arbitrary: tie('op'), weight: 4 },
    { arbitrary: fc.tuple(tie('op'), tie('op')).map(([x, y]) => ({ ...x, ...y })), weight: 1 },
  ),
  op: fc.oneof(
    { depthSize: 'small', maxDepth: 2 },
    fc.tuple(fc.constantFrom('$eq', '$ne'), scalar).map(([op, v]) => ({ [op]: v })),
    fc.tuple(fc.constantFrom('$gt', '$gte', '$lt', '$lte'), rangeOperand).map(([op, v]) => ({ [op]: v })),
    fc
      .tuple(fc.constantFrom('$in', '$nin'), fc.array(scalar, { maxLength: 5 }))
      .map(([op, v]) => ({ [op]: v })),
    fc.boolean().map((v) => ({ $exists: v })),
    tie('ops').map((ops) => ({ $not: ops })),
  ),
}))

test('SQLite agrees with the JS predicate on random documents and filters', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(doc, { minLength: 40, maxLength: 40 }),
      fc.array(filter, { minLength: 30, maxLength: 30 }),
      (docs, filters) => expectAgreement(docs, filters),
    ),
    { numRuns: 250 },
  )
})

// SQLite does not read every decimal text to the nearest double (see sqliteNumber), and random
// documents and filters seldom hold the same or adjacent doubles, so those get their own check.
test('SQLite and the predicate read arbitrary doubles and their neighbours alike', async () => {
  const double = fc.double({ noNaN: true, noDefaultInfinity: true })
  await fc.assert(
    fc.asyncProperty(fc.array(double, { minLength: 14, maxLength: 14 }), async (drawn) => {
      const numbers = drawn.flatMap((x) => [x, nextDouble(x, 1), nextDouble(x, -1)]).filter(inScope)
      const filters = numbers
        .slice(0, 10)
        .flatMap((n): Filter[] => [{ a: n }, { a: { $gt: n } }, { a: { $lte: n } }, { a: { $in: [n, 'x'] } }])
      await expectAgreement(
        numbers.map((a) => ({ a })),
        filters,
      )
    }),
    { numRuns: 150 },
  )
})

/** The double `steps` ulps away (towards larger magnitude for positive steps). */
function nextDouble(x: number, steps: number): number {
  const view = new DataView(new ArrayBuffer(8))
  view.setFloat64(0, x)
  view.setBigInt64(0, view.getBigInt64(0) + BigInt(steps))
  return view.getFloat64(0)
}

// Integers beyond 2^53 are out of scope (all doubles that large are integers).
const inScope = (x: number): boolean => Math.abs(x) <= 2 ** 53

test('SQLite agrees with the JS predicate on hand-picked edge cases', async () => {
  const docs: unknown[] = [
    { a: 1 },
    { a: true },
    { a: '1' },
    { a: null },
    {},
    { a: [1, 'x', null, [2], { b: 3 }] },
    { a: '\u{1F600}' },
    { a: '\uFFFD' },
    { a: 'a\u0000b' },
    { a: { b: [{ c: 1 }], 'x-y': 2, $k: 3 } },
    { a: 1.5, tags: ['urgent', 'ui'] },
    { a: [] },
    { a: '["x"]' },
    { a: ['x'] },
    { a: -0 },
    { a: false },
    // SQLite reads the first one ulp off, and the next two (neighbours) as one double.
    { a: 4.146141217930657e-260 },
    { a: 1.432515540016191e-90 },
    { a: 1.4325155400161912e-90 },
  ]
  const filters: Filter[] = [
    {},
    { a: 1 },
    { a: true },
    { a: '1' },
    { a: null },
    { a: 'x' },
    { a: '["x"]' },
    { a: { $ne: 1 } },
    { a: { $ne: null } },
    { a: { $gt: 1 } },
    { a: { $gte: 0, $lt: 2 } },
    { a: { $gt: '\uFFFD' } },
    { a: { $lt: '\u{1F600}' } },
    { a: { $gte: 'a\u0000' } },
    { a: { $in: [1, 'x', null, false] } },
    { a: { $nin: [1, 'x', null] } },
    { a: { $in: [] } },
    { a: { $nin: [] } },
    { a: { $exists: true } },
    { a: { $exists: false } },
    { 'a.b': { $exists: true } },
    { 'a.b.0.c': 1 },
    { 'a.x-y': 2 },
    { 'a.$k': 3 },
    { 'a.0': 1 },
    { 'a.3.0': 2 },
    { 'a.b': 3 },
    { tags: 'urgent', a: { $gt: 1 } },
    { $or: [{ a: true }, { a: false }] },
    { $not: { a: { $exists: true } } },
    { a: { $not: { $gt: 1 } } },
    { $and: [{ $not: { a: null } }, { a: { $not: { $in: [1, '1'] } } }] },
    { a: 0 },
    { a: 4.146141217930657e-260 },
    { a: { $lt: 4.146141217930657e-260 } },
    { a: 1.432515540016191e-90 },
    { a: { $gt: 1.432515540016191e-90 } },
  ]
  await expectAgreement(docs, filters)
  // Spot-check that the agreement is on the intended semantics, not on a shared mistake.
  const [all, one, yes, , nullish] = await sqliteMatches(docs, filters.slice(0, 5))
  expect(all).toHaveLength(docs.length)
  expect(one).toEqual([0, 5])
  expect(yes).toEqual([1])
  expect(nullish).toEqual([3, 4])
  const [itself, below, neighbours] = await sqliteMatches(docs, [
    { a: 4.146141217930657e-260 },
    { a: { $lt: 4.146141217930657e-260 } },
    { a: 1.432515540016191e-90 },
  ])
  expect(itself).toEqual([16])
  expect(below).toEqual([14]) // -0, not the number itself
  expect(neighbours).toEqual([17, 18])
})
