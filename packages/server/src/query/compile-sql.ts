// Compiles a query filter into a parameterized SQLite WHERE expression over an entity's JSON value,
// agreeing exactly with compilePredicate in @lumenize/protocol (see the semantics in filter.ts).
import {
  type Filter,
  FilterError,
  type FilterNode,
  type FilterScalar,
  type PathSegment,
  parseFilter,
  type RangeOperator,
} from '@lumenize/protocol'

export type SqlParam = string | number | null

/** workerd refuses statements with more than 100 bound parameters; leave room for the caller's own. */
export const MAX_FILTER_SQL_PARAMS = 90

/**
 * A boolean SQL expression for `WHERE`, with every filter value bound as a `?` parameter. Field
 * paths are validated and inlined as JSON path literals, so scalar equality contains the form
 * `json_extract(value, '$.status') = ?` that an expression index can match.
 *
 * @example const { sql, params } = compileWhere({ status: 'open' })
 * sql.exec(`SELECT id FROM entities WHERE ${sql}`, ...params)
 */
export function compileWhere(filter: Filter, valueColumn = 'value'): { sql: string; params: SqlParam[] } {
  if (!/^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?$/.test(valueColumn)) {
    throw new TypeError(`compileWhere: ${JSON.stringify(valueColumn)} is not a plain column name`)
  }
  const params: SqlParam[] = []
  const sql = expression(parseFilter(filter), valueColumn, params)
  if (params.length > MAX_FILTER_SQL_PARAMS) {
    throw new FilterError(
      '',
      `filter too large: it needs ${params.length} SQL parameters, at most ${MAX_FILTER_SQL_PARAMS} fit; merge equalities into $in lists`,
    )
  }
  return { sql, params }
}

// Every expression is TRUE exactly when the predicate holds, and 0 or NULL otherwise. AND and OR
// keep that invariant under SQL's three-valued logic; NOT would not (NOT NULL is NULL), so
// negation is written `IS NOT TRUE`.
function expression(node: FilterNode, column: string, params: SqlParam[]): string {
  switch (node.kind) {
    case 'and':
      return node.nodes.length === 0 ? '1' : join(node.nodes, ' AND ', column, params)
    case 'or':
      return node.nodes.length === 0 ? '0' : join(node.nodes, ' OR ', column, params)
    case 'not':
      return `((${expression(node.node, column, params)}) IS NOT TRUE)`
    case 'exists':
      return `json_type(${column}, ${pathLiteral(node.path)}) IS ${node.exists ? 'NOT NULL' : 'NULL'}`
    case 'eq':
      if (node.value === null) return nullOrMissing(column, node.path)
      return scalarMatch(
        column,
        node.path,
        typeOf(node.value),
        `= ${operand(node.value)}`,
        bindable(node.value),
        params,
      )
    case 'in':
      return inList(column, node.path, node.values, params)
    case 'range': {
      const comparison = `${RANGE_SQL[node.op]} ${operand(node.value)}`
      return scalarMatch(column, node.path, typeOf(node.value), comparison, bindable(node.value), params)
    }
  }
}

function join(nodes: readonly FilterNode[], glue: string, column: string, params: SqlParam[]): string {
  if (nodes.length === 1 && nodes[0]) return expression(nodes[0], column, params)
  return `(${nodes.map((n) => `(${expression(n, column, params)})`).join(glue)})`
}

const RANGE_SQL: Record<RangeOperator, string> = { $gt: '>', $gte: '>=', $lt: '<', $lte: '<=' }

type ScalarType = 'string' | 'number' | 'boolean'

// json_type() names per JS type: the type check keeps `1` from matching `true` (json_extract
// gives 1) or `'1'`, and keeps a string from matching an array's JSON text.
const JSON_TYPES: Record<ScalarType, string> = {
  string: "('text')",
  number: "('integer', 'real')",
  boolean: "('true', 'false')",
}

function typeOf(value: string | number | boolean): ScalarType {
  return typeof value === 'string' ? 'string' : typeof value === 'number' ? 'number' : 'boolean'
}

// SQLite's decimal-to-double conversion is not correctly rounded at extreme exponents (it reads
// 4.146141217930657e-260 one ulp away from JS). A stored number went through it as JSON text, so
// a number operand is bound as JSON text and read by the same conversion: equal doubles stay equal.
function operand(value: string | number | boolean): string {
  return typeof value === 'number' ? "json_extract(?, '$')" : '?'
}

function bindable(value: string | number | boolean): string | number {
  if (typeof value === 'number') return JSON.stringify(value)
  return typeof value === 'boolean' ? Number(value) : value
}

function nullOrMissing(column: string, path: readonly PathSegment[]): string {
  const type = `json_type(${column}, ${pathLiteral(path)})`
  return `(${type} IS NULL OR ${type} = 'null')`
}

/**
 * The field is a `type` scalar satisfying `comparison`, or an array with such a direct element.
 * `comparison` holds one placeholder (`= ?`, `> ?`, `IN (... ?)`), so each arm binds `operand`.
 */
function scalarMatch(
  column: string,
  path: readonly PathSegment[],
  type: ScalarType,
  comparison: string,
  operand: SqlParam,
  params: SqlParam[],
): string {
  const p = pathLiteral(path)
  const types = JSON_TYPES[type]
  params.push(operand, operand)
  // Inside the EXISTS a bare `value` would name json_each's own `value` column (SQLite resolves
  // names innermost first), so the row's column is lifted into `jd.doc` before json_each sees it.
  return (
    `((json_extract(${column}, ${p}) ${comparison} AND json_type(${column}, ${p}) IN ${types})` +
    ` OR (json_type(${column}, ${p}) = 'array' AND EXISTS (SELECT 1 FROM (SELECT ${column} AS doc) AS jd,` +
    ` json_each(jd.doc, ${p}) AS je WHERE je.type IN ${types} AND je.atom ${comparison})))`
  )
}

// One JSON-array parameter per JS type, whatever the list's length, keeps the parameter count
// bounded; json_each yields each item as the same SQL value json_extract gives a field.
function inList(
  column: string,
  path: readonly PathSegment[],
  values: readonly FilterScalar[],
  params: SqlParam[],
): string {
  const arms: string[] = []
  if (values.includes(null)) arms.push(nullOrMissing(column, path))
  for (const type of ['string', 'number', 'boolean'] as const) {
    const items = values.filter((v): v is string | number | boolean => v !== null && typeOf(v) === type)
    if (items.length === 0) continue
    const list = JSON.stringify(items.map((v) => (typeof v === 'boolean' ? Number(v) : v)))
    arms.push(scalarMatch(column, path, type, 'IN (SELECT jq.value FROM json_each(?) AS jq)', list, params))
  }
  if (arms.length === 0) return '0'
  return arms.length === 1 ? (arms[0] ?? '0') : `(${arms.join(' OR ')})`
}

const KEY_SEGMENT = /^[A-Za-z_$][A-Za-z0-9_$-]*$/

/** `'$.a.b[0]'`: segments come from parsePath; checked again because this text is inlined into SQL. */
function pathLiteral(path: readonly PathSegment[]): string {
  let json = '$'
  for (const segment of path) {
    if (typeof segment === 'number') {
      if (!Number.isSafeInteger(segment) || segment < 0) {
        throw new FilterError('', `bad array index ${segment}`)
      }
      json += `[${segment}]`
    } else {
      if (!KEY_SEGMENT.test(segment)) throw new FilterError('', `bad path segment ${JSON.stringify(segment)}`)
      json += `.${segment}`
    }
  }
  return `'${json}'`
}
