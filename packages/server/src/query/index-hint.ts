// An index hint for filters on declared index fields. Equality matches a value or an array holding
// it, and SQLite's planner will not serve that OR from indexes on its own; so the store adds an
// implied condition `id IN (index lookup ∪ rows whose field is an array)` that it can drive from the
// expression indexes. The full filter still decides: the hint only narrows the rows looked at.
import { END_OF_TIME, type Filter } from '@lumenize/protocol'

type Scalar = string | number | boolean

const isScalar = (v: unknown): v is Scalar =>
  typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))

// Numbers go through SQLite's own JSON number parser, exactly like the compiled filter.
const bind = (v: Scalar): string | number =>
  typeof v === 'boolean' ? Number(v) : typeof v === 'number' ? JSON.stringify(v) : v
const operand = (v: Scalar): string => (typeof v === 'number' ? "json_extract(?, '$')" : '?')

/** The values a top-level condition on `field` requires it to equal (one of), if it is that simple. */
function equalities(condition: unknown): Scalar[] | undefined {
  if (isScalar(condition)) return [condition]
  if (typeof condition !== 'object' || condition === null || Array.isArray(condition)) return undefined
  const ops = condition as Record<string, unknown>
  if (isScalar(ops.$eq)) return [ops.$eq]
  if (Array.isArray(ops.$in) && ops.$in.length > 0 && ops.$in.length <= 50 && ops.$in.every(isScalar))
    return ops.$in
  return undefined
}

/**
 * A condition on `s.id` that the index of one of `indexed` fields can answer, or undefined when the
 * filter has no top-level equality on such a field. Only for current state of a single type.
 */
export function indexHint(
  type: string,
  indexed: readonly string[],
  where: Filter,
): { sql: string; params: Array<string | number> } | undefined {
  const top = where as Record<string, unknown>
  for (const field of indexed) {
    if (!Object.hasOwn(top, field)) continue
    const values = equalities(top[field])
    if (!values) continue
    const path = `'$.${field}'`
    const scope = `type = '${type}' AND valid_to = ${END_OF_TIME}`
    const match = values.map((v) => `json_extract(value, ${path}) = ${operand(v)}`).join(' OR ')
    return {
      sql: `s.id IN (SELECT id FROM snapshots WHERE ${scope} AND (${match})
        UNION ALL SELECT id FROM snapshots WHERE ${scope} AND json_type(value, ${path}) = 'array')`,
      params: values.map(bind),
    }
  }
  return undefined
}
