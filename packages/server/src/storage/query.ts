// The SQL of `query` and of shape seeds: current or as-of rows of some types, a filter, an OrgTree
// subtree, an order. Types, paths and instants are validated before they are inlined; values bind.
import { END_OF_TIME, type Filter } from '@lumenize/protocol'
import { validationError } from '../errors'
import { compileWhere } from '../query/compile-sql'
import { indexHint } from '../query/index-hint'
import { OrgTree } from './orgtree'
import { SNAPSHOT_COLUMNS, validAt } from './snapshots'

export interface QueryOptions {
  type?: string
  /** Several types (a shape's type set); combined with `type` when both are given. */
  types?: readonly string[]
  where?: Filter
  /** Only entities attached to this OrgTree node or below it (and the OrgNodes of that subtree). */
  under?: string
  asOf?: number
  limit?: number
  offset?: number
  orderBy?: ReadonlyArray<{ field: string; direction?: 'asc' | 'desc' }>
}

export const DEFAULT_LIMIT = 1000
export const MAX_LIMIT = 10_000

const META_ORDER: Record<string, string> = {
  $id: 's.id',
  $type: 's.type',
  $version: 's.version',
  $validFrom: 's.valid_from',
}
const ORDER_FIELD_RE = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/

export interface SelectSql {
  sql: string
  params: Array<string | number | null>
}

/**
 * The SELECT of snapshot rows for a query. `types` are declared type names and `indexed` gives a
 * type's indexed fields (for the index hint); the caller has checked that `under` is an OrgNode.
 */
export function selectSql(
  options: QueryOptions,
  limit: number,
  offset: number,
  indexed: (type: string) => readonly string[],
): SelectSql {
  const { where, under, asOf } = options
  const types = options.type !== undefined ? [options.type, ...(options.types ?? [])] : options.types
  const params: Array<string | number | null> = []
  // Every entity that ever existed has exactly one current row (live or tombstone), and its type
  // never changes. As of an instant, walk those rows and seek each entity's version at that
  // instant, instead of scanning every historical row of the type.
  const from =
    asOf === undefined
      ? 'snapshots s'
      : `snapshots c JOIN snapshots s ON s.id = c.id AND s.valid_to > ${asOf} AND s.valid_from =
          (SELECT max(x.valid_from) FROM snapshots x WHERE x.id = c.id AND x.valid_from <= ${asOf})`
  const cur = asOf === undefined ? 's' : 'c'
  const conditions = [`${cur}.valid_to = ${END_OF_TIME}`, 's.deleted = 0']
  let cte = ''
  if (types !== undefined) {
    // Types are declared names (letters, digits, _), inlined so partial indexes apply.
    conditions.push(
      types.length === 1
        ? `${cur}.type = '${types[0]}'`
        : `${cur}.type IN (${types.map((t) => `'${t}'`).join(', ')})`,
    )
  }
  if (under !== undefined) {
    cte = OrgTree.subtreeCte(asOf)
    params.push(under)
    conditions.push(
      `(s.id IN (SELECT id FROM sub) OR s.id IN (SELECT l.from_id FROM links l
        WHERE l.attach = 1 AND ${validAt('l', asOf)} AND l.to_id IN (SELECT id FROM sub)))`,
    )
  }
  if (where !== undefined && asOf === undefined && types?.length === 1) {
    const hint = indexHint(types[0]!, indexed(types[0]!), where)
    if (hint) {
      conditions.push(hint.sql)
      params.push(...hint.params)
    }
  }
  if (where !== undefined) {
    const compiled = compileWhere(where, 's.value')
    conditions.push(`(${compiled.sql})`)
    params.push(...compiled.params)
  }
  const order = (options.orderBy ?? []).map(({ field, direction }) => {
    const column =
      META_ORDER[field] ?? (ORDER_FIELD_RE.test(field) ? `json_extract(s.value, '$.${field}')` : undefined)
    if (!column)
      throw validationError(`Cannot order by "${field}": use a dotted field or $id, $validFrom`, { field })
    return `${column} ${direction === 'desc' ? 'DESC' : 'ASC'}`
  })
  // As of an instant, order by the current row's id: the same value, already in index order, so
  // SQLite stops at the limit instead of joining and sorting every entity of the type first.
  order.push(`${cur}.id ASC`)
  return {
    sql: `${cte} SELECT ${SNAPSHOT_COLUMNS.replace(/(\w+)/g, 's.$1')} FROM ${from} WHERE ${conditions.join(' AND ')}
     ORDER BY ${order.join(', ')} LIMIT ${limit} OFFSET ${offset}`,
    params,
  }
}
