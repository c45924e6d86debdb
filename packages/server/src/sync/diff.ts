// Membership diffs: for a range of commits (from, to], which rows of a shape to put and delete.
// Evaluates the shape on the old and the new snapshot of each changed entity (in→in put,
// out→in put, in→out del); never re-runs the whole query and holds no per-socket row sets.
// OrgTree edge changes bring in the subtree below the moved edge, whose membership may flip.
import { type EntitySnapshot, projectRow, rowInShape, type SubtreeView } from '@lumenize/protocol'
import { linksOf } from '../storage/links'
import type { StateAt } from '../storage/state-at'
import type { TypeRegistry } from '../storage/type-registry'
import type { ResolvedShape } from './shapes'

export interface ShapeDiff {
  puts: EntitySnapshot[]
  dels: string[]
}

/** The OrgTree at a seq, as the protocol's membership rule asks it. */
function viewAt(shape: ResolvedShape, seq: number, state: StateAt, types: TypeRegistry): SubtreeView {
  const root = shape.spec.under
  return {
    isUnder: (node) => node === root || (root !== undefined && state.ancestors(node, seq).has(root)),
    attachments: (row) => linksOf(types.get(row.type), row.value).flatMap((l) => (l.attach ? [l.to] : [])),
  }
}

/** Does a live snapshot belong to a shape at a seq? (The server sees the whole tree: never unknown.) */
export function inShape(
  shape: ResolvedShape,
  snap: EntitySnapshot,
  seq: number,
  state: StateAt,
  types: TypeRegistry,
): boolean {
  return rowInShape(shape, snap, viewAt(shape, seq, state, types)) === true
}

/**
 * The diff of each shape between cookies `from` and `to`. `changed` are the entities written in
 * the range; edge changes add the entities whose subtree membership may have moved.
 */
export function diffShapes(
  shapes: readonly ResolvedShape[],
  from: number,
  to: number,
  state: StateAt,
  types: TypeRegistry,
): Map<string, ShapeDiff> {
  const out = new Map<string, ShapeDiff>()
  if (shapes.length === 0 || to <= from) return out
  const changed = state.changedEntities(from, to)
  const changedSet = new Set(changed)
  const edges = shapes.some((s) => s.spec.under !== undefined) ? state.changedEdges(from, to) : []
  const before = new Map<string, EntitySnapshot | undefined>()
  const after = new Map<string, EntitySnapshot | undefined>()
  const at = (cache: Map<string, EntitySnapshot | undefined>, id: string, seq: number) => {
    if (!cache.has(id)) cache.set(id, state.entity(id, seq))
    return cache.get(id)
  }
  for (const shape of shapes) {
    const diff: ShapeDiff = { puts: [], dels: [] }
    const consider = (id: string, changedHere: boolean): void => {
      const b = at(before, id, from)
      const a = at(after, id, to)
      const wasIn = b !== undefined && inShape(shape, b, from, state, types)
      const isIn = a !== undefined && inShape(shape, a, to, state, types)
      if (isIn && (changedHere || !wasIn)) diff.puts.push(projectRow(shape.spec, a))
      else if (wasIn && !isIn) diff.dels.push(id)
    }
    for (const id of changed) consider(id, true)
    const root = shape.spec.under
    if (root !== undefined && edges.length > 0) {
      const touched = new Set<string>()
      for (const { parent, child } of edges) {
        const relevant =
          parent === root || state.ancestors(parent, from).has(root) || state.ancestors(parent, to).has(root)
        if (!relevant) continue
        for (const n of state.subtree(child, from)) touched.add(n)
        for (const n of state.subtree(child, to)) touched.add(n)
      }
      const nodes = [...touched]
      const candidates = new Set([...nodes, ...state.attachedTo(nodes, from), ...state.attachedTo(nodes, to)])
      for (const id of candidates) if (!changedSet.has(id)) consider(id, false)
    }
    if (diff.puts.length > 0 || diff.dels.length > 0) out.set(shape.key, diff)
  }
  return out
}
