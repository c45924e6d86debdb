// Shapes as both sides see them: what a shape replicates (ShapeSpec), the built-in shapes' params,
// the key that equal params share, and the membership rule of a row, as far as a row alone (types,
// filter) or a row plus a view of the OrgTree (the `under` subtree) can decide it.
import { type EntitySnapshot, type JsonObject, ORG_NODE_TYPE } from './entity'
import type { Filter } from './filter'
import { FilterError, validateFilter } from './filter-parse'
import { compilePredicate } from './filter-predicate'
import { normalizeId } from './ids'
import { readField, stableJson } from './json'

/** What a shape replicates. All parts are optional; an empty spec is every entity of the star. */
export interface ShapeSpec {
  types?: readonly string[]
  where?: Filter
  /** An OrgNode id: only OrgNodes of its subtree and entities attached to them. */
  under?: string
  /** Top-level fields of `value` to send (all when omitted). */
  fields?: readonly string[]
}

/** The shapes every star has: `entities { type?, where?, under? }` and `orgTree { root? }`. */
export const BUILT_IN_SHAPES = ['entities', 'orgTree'] as const
export type BuiltInShapeName = (typeof BUILT_IN_SHAPES)[number]

export function isBuiltInShape(name: string): name is BuiltInShapeName {
  return (BUILT_IN_SHAPES as readonly string[]).includes(name)
}

/** Params that do not make a shape; the message says which and why. */
export class ShapeParamsError extends Error {
  override readonly name = 'ShapeParamsError'
}

const PARAMS: Record<BuiltInShapeName, readonly string[]> = {
  entities: ['type', 'where', 'under'],
  orgTree: ['root'],
}

/**
 * The spec of a built-in shape for its params. Throws ShapeParamsError for an unknown param or one
 * of the wrong type; `checkShapeSpec` then checks the spec's parts.
 *
 * @example builtInShapeSpec('orgTree', { root }) // { types: ['OrgNode'], under: root }
 */
export function builtInShapeSpec(
  name: BuiltInShapeName,
  params: Readonly<Record<string, unknown>>,
): ShapeSpec {
  const known = PARAMS[name]
  for (const key of Object.keys(params)) {
    if (!known.includes(key)) throw new ShapeParamsError(`unknown param "${key}" (use ${known.join(', ')})`)
  }
  if (name === 'orgTree') {
    return params.root === undefined
      ? { types: [ORG_NODE_TYPE] }
      : { types: [ORG_NODE_TYPE], under: params.root as string }
  }
  const spec: ShapeSpec = {}
  if (params.type !== undefined) {
    if (typeof params.type !== 'string') throw new ShapeParamsError('type must be a string')
    spec.types = [params.type]
  }
  if (params.where !== undefined) spec.where = params.where as Filter
  if (params.under !== undefined) spec.under = params.under as string
  return spec
}

/**
 * Checks the parts of any shape's spec that do not depend on the star: `under` is an entity id
 * (lowercased), `where` a valid filter. Throws ShapeParamsError.
 */
export function checkShapeSpec(spec: ShapeSpec): ShapeSpec {
  const out: ShapeSpec = { ...spec }
  if (spec.under !== undefined) {
    const under = normalizeId(spec.under)
    if (under === undefined) throw new ShapeParamsError('under must be an OrgNode id')
    out.under = under
  }
  if (spec.where !== undefined) {
    try {
      out.where = validateFilter(spec.where)
    } catch (err) {
      if (err instanceof FilterError) throw new ShapeParamsError(err.message)
      throw err
    }
  }
  return out
}

/** The key of a (shape, params) pair: equal params, whatever their key order, give equal keys. */
export function shapeKey(name: string, params: Readonly<Record<string, unknown>>): string {
  return `${name}:${stableJson(params)}`
}

/** A spec ready to test rows against (its filter compiled once). */
export interface CompiledShape {
  readonly spec: ShapeSpec
  /** The part a row alone decides: its type and the filter on its value. */
  readonly matches: (row: Pick<EntitySnapshot, 'type' | 'value'>) => boolean
}

export function compileShape(spec: ShapeSpec): CompiledShape {
  const predicate = spec.where === undefined ? () => true : compilePredicate(spec.where)
  const types = spec.types
  return {
    spec,
    matches: (row) => (types === undefined || types.includes(row.type)) && predicate(row.value),
  }
}

/** What decides `under` beyond the row: the OrgTree as this side knows it. */
export interface SubtreeView {
  /** Whether the OrgNode `node` is the shape's `under` root or below it; undefined if unknown here. */
  isUnder(node: string): boolean | undefined
  /** The OrgNode ids a row (not an OrgNode) is attached to. */
  attachments(row: Pick<EntitySnapshot, 'type' | 'value'>): readonly string[]
}

/**
 * Whether a live row belongs to a shape: its type and filter, then for `under` either the OrgNode
 * itself is in the subtree or the row is attached to a node that is. Undefined when the view
 * cannot tell (a client that does not hold the nodes concerned).
 */
export function rowInShape(
  shape: CompiledShape,
  row: Pick<EntitySnapshot, 'id' | 'type' | 'value'>,
  view: SubtreeView,
): boolean | undefined {
  if (!shape.matches(row)) return false
  if (shape.spec.under === undefined) return true
  if (row.type === ORG_NODE_TYPE) return view.isUnder(row.id)
  let unknown = false
  for (const node of view.attachments(row)) {
    const under = view.isUnder(node)
    if (under === true) return true
    if (under === undefined) unknown = true
  }
  return unknown ? undefined : false
}

/** The node ids held in an `attachTo` field (an id or an array of ids), lowercased. */
export function attachedIds(value: JsonObject, attachTo: string): string[] {
  const held = readField(value, attachTo)
  const ids = Array.isArray(held) ? held : held === undefined || held === null ? [] : [held]
  return ids.filter((id): id is string => typeof id === 'string').map((id) => id.toLowerCase())
}

/**
 * The ids a value might be attached through, for a side that does not know the type's `attachTo`
 * field: every UUID held by a top-level field, directly or in an array.
 */
export function candidateAttachments(value: JsonObject): string[] {
  const out: string[] = []
  for (const held of Object.values(value)) {
    for (const item of Array.isArray(held) ? held : [held]) {
      const id = normalizeId(item)
      if (id !== undefined) out.push(id)
    }
  }
  return out
}

/** A row as the shape sends it: its value cut down to the spec's `fields`, when it has them. */
export function projectRow<R extends Pick<EntitySnapshot, 'value'>>(spec: ShapeSpec, row: R): R {
  const fields = spec.fields
  if (fields === undefined) return row
  const value: JsonObject = {}
  for (const f of fields) if (Object.hasOwn(row.value, f)) value[f] = row.value[f]!
  return { ...row, value }
}

/** The rows a client holds for one shape (a TanStack DB collection has this shape). */
export interface Replica {
  get(id: string): Pick<EntitySnapshot, 'id' | 'type' | 'value'> | undefined
  values(): Iterable<Pick<EntitySnapshot, 'id' | 'type' | 'value'>>
}

/**
 * The OrgTree as a replica of an `under` shape knows it: the root, the OrgNodes it holds (all under
 * the root, or the server would not have sent them) and their children. A node it cannot place is
 * unknown, never "not under". Without the type's `attachTo` field, every UUID of a top-level field
 * counts as a possible attachment.
 */
export function replicaSubtreeView(
  root: string,
  replica: Replica,
  attachments: (row: Pick<EntitySnapshot, 'type' | 'value'>) => readonly string[] = (row) =>
    candidateAttachments(row.value),
): SubtreeView {
  return {
    attachments,
    isUnder(node) {
      if (node === root || replica.get(node)?.type === ORG_NODE_TYPE) return true
      for (const held of replica.values()) {
        if (held.type !== ORG_NODE_TYPE) continue
        const children = held.value.children
        if (children !== null && typeof children === 'object' && Object.hasOwn(children, node)) return true
      }
      return undefined
    },
  }
}
