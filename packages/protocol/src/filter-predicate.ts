// The JS predicate of a filter, for membership diffs and optimistic reads: the same semantics as the
// SQL the server compiles (see filter.ts), property-tested against workerd's SQLite.
import type { Filter, FilterNode, FilterScalar, PathSegment, RangeOperator } from './filter'
import { compareCodePoints, sqliteNumber } from './filter-order'
import { parseFilter } from './filter-parse'

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
