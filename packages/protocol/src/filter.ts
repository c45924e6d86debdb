// The MongoDB-like filter language of queries: its types and semantics. Validation lives in
// filter-parse.ts, the JS predicate in filter-predicate.ts, SQLite's number and string order in
// filter-order.ts; the server's SQL compiler (packages/server/src/query/compile-sql.ts) agrees exactly.
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
