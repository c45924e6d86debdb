// Filter validation: untrusted filters (from the wire) are checked and normalized into a FilterNode
// tree that both the JS predicate and the SQL compiler walk. Every error says where and what to do.
import type { Filter, FilterNode, FilterScalar, PathSegment } from './filter'

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
