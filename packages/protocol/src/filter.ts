// The MongoDB-like filter language of queries: its types, validation, and the JS predicate that the
// server's SQL compiler (packages/server/src/query/compile-sql.ts) must agree with exactly.
/**
 * Semantics. The SQL compiler implements the same rules; a property test on workerd's SQLite
 * checks that both agree, so change them together.
 *
 * - A filter is an object; its keys are ANDed. `{}` matches everything. Keys are dotted field
 *   paths or the logical operators `$and`/`$or` (non-empty arrays of filters) and `$not` (a filter).
 * - Paths: `a.b.c`; an all-digit segment is an array index (`tags.0`). A key segment must match
 *   `/^[A-Za-z_$][A-Za-z0-9_$-]*$/` (paths are inlined into SQL as JSON path literals). A path
 *   starts with a key. Walking a key through anything but an object, or an index through anything
 *   but an array, finds nothing: the field is absent. Arrays are not traversed in the middle of
 *   a path (`a.b` does not look inside an array `a`); objects with digit keys are unreachable.
 * - Types never cross: `1` never equals `true` or `'1'`. Numbers compare numerically (`-0` equals
 *   `0`), as SQLite reads their JSON text: see sqliteNumber for the rare decimals it reads one ulp off.
 * - `{ f: x }` is `{ f: { $eq: x } }`. `$eq: x` (x not null) matches when the field is x, or is an
 *   array with x as a direct element. `$eq: null` matches when the field is null or absent (an array
 *   containing null does not match).
 * - `$ne` is exactly NOT `$eq`; `$in: [...]` is the OR of `$eq` over its items (`[]` matches
 *   nothing); `$nin` is exactly NOT `$in`.
 * - `$gt $gte $lt $lte` take a number or a string and match when the field, or any direct element
 *   of an array field, is of the same type and compares true. Strings compare by Unicode code
 *   point, which is SQLite's BINARY order on UTF-8 (not JS `<`, which orders UTF-16 code units).
 * - `$exists: true` matches a present field, even null; `$exists: false` an absent one.
 * - Several operators on one field are ANDed, each with its own array rule: `[1, 10]` matches
 *   `{ $gt: 3, $lt: 9 }`. A field-level `$not` takes an operator object and negates it.
 * - Operands are JSON scalars (strings must be well-formed Unicode, numbers finite); `$in`/`$nin`
 *   take at most 1000 of them. Objects and arrays are not operands.
 * - Limits: nesting at most 32 levels, at most 500 nodes (filters, fields and operators).
 */

/** A value a filter compares against. */
export type FilterScalar = string | number | boolean | null

/** The operators that apply to one field, ANDed together. */
export interface FieldOperators {
  $eq?: FilterScalar
  $ne?: FilterScalar
  $gt?: number | string
  $gte?: number | string
  $lt?: number | string
  $lte?: number | string
  $in?: readonly FilterScalar[]
  $nin?: readonly FilterScalar[]
  $exists?: boolean
  $not?: FieldOperators
}

/** What a field path maps to in a filter: a scalar (equality) or an operator object. */
export type FieldCondition = FilterScalar | FieldOperators

/**
 * A query filter. Only `validateFilter` decides what is valid; this type is the shape's outline.
 *
 * @example const open: Filter = { status: 'open', 'meta.priority': { $gte: 2 }, $or: [{ tags: 'x' }, { tags: 'y' }] }
 */
export interface Filter {
  $and?: readonly Filter[]
  $or?: readonly Filter[]
  $not?: Filter
  [field: string]: FieldCondition | readonly Filter[] | Filter | undefined
}

/** One step of a field path: an object key or an array index. */
export type PathSegment = string | number

export type RangeOperator = '$gt' | '$gte' | '$lt' | '$lte'

/** A validated filter, normalized: what both the JS predicate and the SQL compiler walk. */
export type FilterNode =
  | { readonly kind: 'and'; readonly nodes: readonly FilterNode[] }
  | { readonly kind: 'or'; readonly nodes: readonly FilterNode[] }
  | { readonly kind: 'not'; readonly node: FilterNode }
  | { readonly kind: 'eq'; readonly path: readonly PathSegment[]; readonly value: FilterScalar }
  | { readonly kind: 'in'; readonly path: readonly PathSegment[]; readonly values: readonly FilterScalar[] }
  | {
      readonly kind: 'range'
      readonly path: readonly PathSegment[]
      readonly op: RangeOperator
      readonly value: number | string
    }
  | { readonly kind: 'exists'; readonly path: readonly PathSegment[]; readonly exists: boolean }

export const MAX_FILTER_DEPTH = 32
export const MAX_FILTER_NODES = 500
export const MAX_IN_ITEMS = 1000
export const MAX_PATH_SEGMENTS = 32
export const MAX_PATH_LENGTH = 512

/** A malformed filter. `path` says where in the filter (`$and[1].status.$in`, '' for the whole). */
export class FilterError extends Error {
  override readonly name = 'FilterError'
  constructor(
    readonly path: string,
    detail: string,
  ) {
    super(path ? `Invalid filter at ${path}: ${detail}` : `Invalid filter: ${detail}`)
  }
}

const KEY_SEGMENT = /^[A-Za-z_$][A-Za-z0-9_$-]*$/
const INDEX_SEGMENT = /^(?:0|[1-9][0-9]{0,8})$/
const DIGITS = /^[0-9]+$/
const LONE_SURROGATE = /\p{Surrogate}/u
const FIELD_OPERATORS = '$eq $ne $gt $gte $lt $lte $in $nin $exists $not'
const LOGICAL_OPERATORS = '$and $or $not'

/**
 * Splits a dotted field path; an all-digit segment is an array index. Throws FilterError for
 * anything that could not be inlined safely into a SQL JSON path.
 *
 * @example parsePath('items.0.sku') // ['items', 0, 'sku']
 */
export function parsePath(path: string): PathSegment[] {
  return parsePathAt(path, '')
}

function parsePathAt(path: unknown, at: string): PathSegment[] {
  if (typeof path !== 'string' || path === '') {
    throw new FilterError(at, 'a field path must be a non-empty string')
  }
  if (path.length > MAX_PATH_LENGTH) {
    throw new FilterError(at, `field path is longer than ${MAX_PATH_LENGTH} characters; shorten it`)
  }
  const parts = path.split('.')
  if (parts.length > MAX_PATH_SEGMENTS) {
    throw new FilterError(at, `field path has more than ${MAX_PATH_SEGMENTS} segments; shorten it`)
  }
  return parts.map((part, i): PathSegment => {
    if (KEY_SEGMENT.test(part)) return part
    if (!DIGITS.test(part)) {
      throw new FilterError(
        at,
        `path segment ${JSON.stringify(part)} is not allowed; keys are letters, digits, _, $ and -, starting with a letter, _ or $`,
      )
    }
    if (i === 0) throw new FilterError(at, 'a field path must start with a key, not an array index')
    if (!INDEX_SEGMENT.test(part)) {
      throw new FilterError(at, `array index ${part} must have no leading zeros and at most 9 digits`)
    }
    return Number(part)
  })
}

/**
 * Checks an untrusted filter (e.g. from the wire) and returns it typed. Throws FilterError.
 *
 * @example validateFilter(JSON.parse('{"status":{"$in":["open","blocked"]}}'))
 */
export function validateFilter(input: unknown): Filter {
  parseFilter(input)
  return input as Filter
}

/** Validates a filter and normalizes it into a FilterNode tree (`$ne` becomes NOT `$eq`, ...). */
export function parseFilter(input: unknown): FilterNode {
  return parseFilterAt(input, '', { nodes: 0 }, 1)
}

interface ParseState {
  nodes: number
}

function enter(state: ParseState, at: string, depth: number): void {
  if (depth > MAX_FILTER_DEPTH) {
    throw new FilterError(at, `filter nests deeper than ${MAX_FILTER_DEPTH} levels; flatten it`)
  }
  state.nodes++
  if (state.nodes > MAX_FILTER_NODES) {
    throw new FilterError(at, `filter has more than ${MAX_FILTER_NODES} nodes; split the query`)
  }
}

function parseFilterAt(input: unknown, at: string, state: ParseState, depth: number): FilterNode {
  enter(state, at, depth)
  if (!isPlainObject(input)) {
    throw new FilterError(at, "a filter must be an object such as { status: 'open' }")
  }
  const parts: FilterNode[] = []
  for (const key of Object.keys(input)) {
    const value = input[key]
    const here = child(at, key)
    if (key === '$and' || key === '$or') {
      if (!Array.isArray(value) || value.length === 0) {
        throw new FilterError(here, `${key} needs a non-empty array of filters`)
      }
      const nodes = value.map((f, i) => parseFilterAt(f, `${here}[${i}]`, state, depth + 1))
      parts.push(key === '$and' ? and(nodes) : { kind: 'or', nodes })
    } else if (key === '$not') {
      parts.push({ kind: 'not', node: parseFilterAt(value, here, state, depth + 1) })
    } else if (key.startsWith('$')) {
      throw new FilterError(
        here,
        `unknown operator ${key}; a filter accepts ${LOGICAL_OPERATORS} and field paths`,
      )
    } else {
      parts.push(parseField(key, value, here, state, depth + 1))
    }
  }
  return and(parts)
}

function parseField(field: string, cond: unknown, at: string, state: ParseState, depth: number): FilterNode {
  enter(state, at, depth)
  const path = parsePathAt(field, at)
  if (Array.isArray(cond)) {
    throw new FilterError(
      at,
      'equality against an array is not supported; use { $in: [...] } or { $eq: item }',
    )
  }
  if (!isPlainObject(cond)) return { kind: 'eq', path, value: scalar(cond, at) }
  const keys = Object.keys(cond)
  if (keys.length === 0 || !keys.every((k) => k.startsWith('$'))) {
    throw new FilterError(
      at,
      `equality against an object is not supported; compare its fields with dotted paths, or use operators (${FIELD_OPERATORS})`,
    )
  }
  return parseOperators(path, cond, at, state, depth)
}

function parseOperators(
  path: PathSegment[],
  ops: Record<string, unknown>,
  at: string,
  state: ParseState,
  depth: number,
): FilterNode {
  const parts: FilterNode[] = []
  for (const op of Object.keys(ops)) {
    const operand = ops[op]
    const here = child(at, op)
    enter(state, here, depth)
    switch (op) {
      case '$eq':
        parts.push({ kind: 'eq', path, value: scalar(operand, here) })
        break
      case '$ne':
        parts.push({ kind: 'not', node: { kind: 'eq', path, value: scalar(operand, here) } })
        break
      case '$gt':
      case '$gte':
      case '$lt':
      case '$lte': {
        const value = scalar(operand, here)
        if (typeof value !== 'number' && typeof value !== 'string') {
          throw new FilterError(here, `${op} needs a number or a string`)
        }
        parts.push({ kind: 'range', path, op, value })
        break
      }
      case '$in':
        parts.push({ kind: 'in', path, values: scalarList(operand, here) })
        break
      case '$nin':
        parts.push({ kind: 'not', node: { kind: 'in', path, values: scalarList(operand, here) } })
        break
      case '$exists':
        if (typeof operand !== 'boolean') throw new FilterError(here, '$exists needs true or false')
        parts.push({ kind: 'exists', path, exists: operand })
        break
      case '$not': {
        if (!isPlainObject(operand) || Object.keys(operand).length === 0) {
          throw new FilterError(here, '$not on a field needs an operator object such as { $gt: 3 }')
        }
        parts.push({ kind: 'not', node: parseOperators(path, operand, here, state, depth + 1) })
        break
      }
      default:
        throw new FilterError(here, `unknown operator ${op}; a field accepts ${FIELD_OPERATORS}`)
    }
  }
  return and(parts)
}

function and(nodes: FilterNode[]): FilterNode {
  return nodes.length === 1 && nodes[0] ? nodes[0] : { kind: 'and', nodes }
}

function scalar(value: unknown, at: string): FilterScalar {
  if (value === null || typeof value === 'boolean') return value
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new FilterError(at, 'numbers must be finite')
    return value === 0 ? 0 : value // -0 and 0 are one JSON number
  }
  if (typeof value === 'string') {
    if (LONE_SURROGATE.test(value)) {
      throw new FilterError(at, 'strings must be well-formed Unicode (no lone surrogates)')
    }
    return value
  }
  throw new FilterError(at, 'operands must be a string, a finite number, a boolean or null')
}

function scalarList(value: unknown, at: string): FilterScalar[] {
  if (!Array.isArray(value)) throw new FilterError(at, 'needs an array of scalars such as ["a", "b"]')
  if (value.length > MAX_IN_ITEMS) {
    throw new FilterError(at, `has more than ${MAX_IN_ITEMS} items; split the query`)
  }
  return value.map((v, i) => scalar(v, `${at}[${i}]`))
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const proto: unknown = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

function child(at: string, key: string): string {
  if (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key)) return at ? `${at}.${key}` : key
  return `${at}[${JSON.stringify(key)}]`
}

/**
 * Compiles a filter into a predicate over an entity's value object. Validates like validateFilter.
 *
 * @example compilePredicate({ tags: 'urgent' })({ tags: ['urgent', 'ui'] }) // true
 */
export function compilePredicate(filter: Filter): (value: unknown) => boolean {
  return predicate(parseFilter(filter))
}

type Predicate = (value: unknown) => boolean

const MISSING: unique symbol = Symbol('missing')

function predicate(node: FilterNode): Predicate {
  switch (node.kind) {
    case 'and': {
      const all = node.nodes.map(predicate)
      return (v) => all.every((p) => p(v))
    }
    case 'or': {
      const any = node.nodes.map(predicate)
      return (v) => any.some((p) => p(v))
    }
    case 'not': {
      const inner = predicate(node.node)
      return (v) => !inner(v)
    }
    case 'exists': {
      const { path, exists } = node
      return (v) => (resolve(v, path) !== MISSING) === exists
    }
    case 'eq':
      return inPredicate(node.path, [node.value])
    case 'in':
      return inPredicate(node.path, node.values)
    case 'range': {
      const { path, op } = node
      const operand = typeof node.value === 'number' ? sqliteNumber(node.value) : node.value
      return (v) => someScalar(resolve(v, path), (c) => inRange(c, op, operand))
    }
  }
}

function inPredicate(path: readonly PathSegment[], values: readonly FilterScalar[]): Predicate {
  const matchesNull = values.includes(null)
  // Strict equality keeps types apart; numbers compare as SQLite reads them (see sqliteNumber).
  const wanted = values.flatMap((x) => (x === null ? [] : [typeof x === 'number' ? sqliteNumber(x) : x]))
  return (v) => {
    const field = resolve(v, path)
    if (matchesNull && (field === MISSING || field === null)) return true
    return someScalar(field, (c) => {
      const candidate = typeof c === 'number' ? sqliteNumber(c) : c
      return wanted.some((x) => x === candidate)
    })
  }
}

/** The field itself or, for an array, any direct element (MongoDB's array rule). */
function someScalar(field: unknown, test: (candidate: unknown) => boolean): boolean {
  if (field === MISSING) return false
  return Array.isArray(field) ? field.some(test) : test(field)
}

function inRange(candidate: unknown, op: RangeOperator, operand: number | string): boolean {
  let order: number
  if (typeof candidate === 'number' && typeof operand === 'number') {
    const n = sqliteNumber(candidate)
    order = n < operand ? -1 : n > operand ? 1 : 0
  } else if (typeof candidate === 'string' && typeof operand === 'string') {
    order = compareCodePoints(candidate, operand)
  } else {
    return false
  }
  switch (op) {
    case '$gt':
      return order > 0
    case '$gte':
      return order >= 0
    case '$lt':
      return order < 0
    case '$lte':
      return order <= 0
  }
}

/**
 * Orders strings by Unicode code point, as SQLite's BINARY collation orders their UTF-8 bytes.
 * JS `<` compares UTF-16 code units instead and puts astral characters before U+E000..U+FFFF.
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i)
    const y = b.charCodeAt(i)
    // At the first difference the code points decide; a shared high surrogate before it means
    // both are low surrogates here, whose order is their code points' order.
    if (x !== y) return (a.codePointAt(i) ?? x) - (b.codePointAt(i) ?? y)
  }
  return a.length - b.length
}

function resolve(root: unknown, path: readonly PathSegment[]): unknown {
  let current = root
  for (const segment of path) {
    if (typeof segment === 'number') {
      if (!Array.isArray(current) || segment >= current.length) return MISSING
      current = current[segment]
    } else {
      if (typeof current !== 'object' || current === null || Array.isArray(current)) return MISSING
      if (!Object.hasOwn(current, segment)) return MISSING
      current = (current as Record<string, unknown>)[segment]
    }
    // A JS value that JSON would drop is absent, as it is in the stored JSON.
    if (current === undefined) return MISSING
  }
  return current
}

/**
 * The double that SQLite reads from a number's JSON text. SQLite 3.47's text-to-double conversion
 * (sqlite3AtoF, double-double arithmetic) is not correctly rounded: it reads
 * 4.146141217930657e-260 one ulp off, and reads the neighbours 1.432515540016191e-90 and
 * 1.4325155400161912e-90 as one double. Stored numbers compare as SQLite reads them, so the
 * predicate reads them the same way; for almost every number this is the number itself.
 */
export function sqliteNumber(value: number): number {
  if (Number.isSafeInteger(value)) return value === 0 ? 0 : value
  const text = JSON.stringify(value)
  // JSON integers that fit in 64 bits are read exactly, as SQLite integers.
  if (INTEGER_TEXT.test(text) && Math.abs(value) < 2 ** 63) return value === 0 ? 0 : value
  return sqliteAtoF(text)
}

const INTEGER_TEXT = /^-?[0-9]+$/
const U64_MAX = (1n << 64n) - 1n
const SIGNIFICAND_LIMIT = (U64_MAX - 9n) / 10n
const NORMALIZE_LIMIT = (U64_MAX - 0x7ffn) / 10n

/**
 * A port of sqlite3AtoF (SQLite 3.47, src/util.c) for the number syntax JSON.stringify writes.
 * Its constants are SQLite's, written in their shortest form (the same doubles).
 */
function sqliteAtoF(text: string): number {
  let i = 0
  const digit = (): number => {
    const c = text.charCodeAt(i)
    return c >= 48 && c <= 57 ? c - 48 : -1
  }
  let sign = 1
  if (text[i] === '-') {
    sign = -1
    i++
  }
  let s = 0n
  let d = 0
  for (let c = digit(); c >= 0; c = digit()) {
    s = s * 10n + BigInt(c)
    i++
    if (s >= SIGNIFICAND_LIMIT) {
      for (; digit() >= 0; i++) d++
    }
  }
  if (text[i] === '.') {
    i++
    for (let c = digit(); c >= 0; c = digit()) {
      if (s < SIGNIFICAND_LIMIT) {
        s = s * 10n + BigInt(c)
        d--
      }
      i++
    }
  }
  let e = 0
  let exponentSign = 1
  if (text[i] === 'e' || text[i] === 'E') {
    i++
    if (text[i] === '-') exponentSign = -1
    if (text[i] === '-' || text[i] === '+') i++
    for (let c = digit(); c >= 0; c = digit()) {
      e = e < 10000 ? e * 10 + c : 10000
      i++
    }
  }
  if (s === 0n) return sign < 0 ? -0 : 0
  e = e * exponentSign + d
  while (e > 0 && s < NORMALIZE_LIMIT) {
    s *= 10n
    e--
  }
  while (e < 0 && s % 10n === 0n) {
    s /= 10n
    e++
  }
  const rr: [number, number] = [Number(s), 0]
  if (rr[0] <= 2 ** 64 - 2048) {
    const s2 = BigInt(rr[0])
    rr[1] = s >= s2 ? Number(s - s2) : -Number(s2 - s)
  }
  if (e > 0) {
    for (; e >= 100; e -= 100) dekkerMul2(rr, 1.0e100, -1.5902891109759918e83)
    for (; e >= 10; e -= 10) dekkerMul2(rr, 1.0e10, 0.0)
    for (; e >= 1; e -= 1) dekkerMul2(rr, 1.0e1, 0.0)
  } else {
    for (; e <= -100; e += 100) dekkerMul2(rr, 1.0e-100, -1.9991899802602883e-117)
    for (; e <= -10; e += 10) dekkerMul2(rr, 1.0e-10, -3.643219731549774e-27)
    for (; e <= -1; e += 1) dekkerMul2(rr, 1.0e-1, -5.551115123125783e-18)
  }
  let result = rr[0] + rr[1]
  if (Number.isNaN(result)) result = Number.POSITIVE_INFINITY
  return sign < 0 ? -result : result
}

const bits = new DataView(new ArrayBuffer(8))

/** Clears the low 26 bits of a double's significand (Dekker's split). */
function highHalf(x: number): number {
  bits.setFloat64(0, x)
  bits.setUint32(4, bits.getUint32(4) & 0xfc000000)
  return bits.getFloat64(0)
}

/** x = x * (y + yy) in double-double arithmetic, operation for operation as SQLite does it. */
function dekkerMul2(x: [number, number], y: number, yy: number): void {
  const hx = highHalf(x[0])
  const tx = x[0] - hx
  const hy = highHalf(y)
  const ty = y - hy
  const p = hx * hy
  const q = hx * ty + tx * hy
  const c = p + q
  let cc = p - c + q + tx * ty
  cc = x[0] * yy + x[1] * y + cc
  x[0] = c + cc
  x[1] = c - x[0]
  x[1] += cc
}
