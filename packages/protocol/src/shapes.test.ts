// Shape membership: the rule with the whole OrgTree in view is the query's semantics, and a replica's
// view (a client's) never contradicts it: it answers right or says it cannot tell.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type EntitySnapshot, type JsonObject, ORG_NODE_TYPE } from './entity'
import type { Filter } from './filter'
import { compilePredicate } from './filter-predicate'
import {
  attachedIds,
  builtInShapeSpec,
  candidateAttachments,
  checkShapeSpec,
  compileShape,
  projectRow,
  replicaSubtreeView,
  rowInShape,
  ShapeParamsError,
  type ShapeSpec,
  type SubtreeView,
  shapeKey,
} from './shapes'

type Row = Pick<EntitySnapshot, 'id' | 'type' | 'value'>
const id = (i: number): string => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`

/** A random OrgTree (node i's parents are among the nodes before it) and tasks attached to its nodes. */
const star = fc
  .record({
    parents: fc.array(fc.array(fc.nat(), { minLength: 1, maxLength: 2 }), { minLength: 1, maxLength: 8 }),
    tasks: fc.array(
      fc.record({
        nodes: fc.array(fc.nat(), { maxLength: 2 }),
        status: fc.constantFrom('todo', 'done'),
        assignee: fc.nat(),
      }),
      { maxLength: 8 },
    ),
  })
  .map(({ parents, tasks }) => {
    const nodeCount = parents.length + 1
    const children = new Map<string, Record<string, JsonObject>>()
    parents.forEach((ps, i) => {
      for (const p of ps) {
        const parent = id(p % (i + 1))
        children.set(parent, { ...children.get(parent), [id(i + 1)]: {} })
      }
    })
    const rows: Row[] = []
    for (let i = 0; i < nodeCount; i++)
      rows.push({
        id: id(i),
        type: ORG_NODE_TYPE,
        value: { slug: `n${i}`, children: children.get(id(i)) ?? {} },
      })
    tasks.forEach((t, i) => {
      rows.push({
        id: id(100 + i),
        type: 'Task',
        // The assignee is an id that is no OrgNode: a replica must not take it for an attachment.
        value: {
          status: t.status,
          nodes: t.nodes.map((n) => id(n % nodeCount)),
          assignee: id(100 + (t.assignee % 8)),
        },
      })
    })
    return { rows, nodeCount, children }
  })

const spec = fc.record(
  {
    types: fc.constantFrom<readonly string[]>(['Task'], [ORG_NODE_TYPE], [ORG_NODE_TYPE, 'Task']),
    where: fc.constantFrom<Filter>({ status: 'todo' }, { status: { $ne: 'done' } }, {}),
    under: fc.nat(8),
  },
  { requiredKeys: [] },
)

/** The subtree of a node, computed here by walking children (independently of the rule). */
function subtree(root: string, children: Map<string, Record<string, JsonObject>>): Set<string> {
  const out = new Set([root])
  const todo = [root]
  for (let n = todo.pop(); n !== undefined; n = todo.pop()) {
    for (const c of Object.keys(children.get(n) ?? {})) if (!out.has(c)) todo.push(c) && out.add(c)
  }
  return out
}

describe('rowInShape', () => {
  it('with the whole OrgTree in view, is what a query of the spec returns', () => {
    fc.assert(
      fc.property(star, spec, ({ rows, nodeCount, children }, s) => {
        const { under, ...rest } = s
        const shapeSpec: ShapeSpec = under === undefined ? rest : { ...rest, under: id(under % nodeCount) }
        const sub = shapeSpec.under === undefined ? undefined : subtree(shapeSpec.under, children)
        const view: SubtreeView = {
          isUnder: (node) => sub?.has(node) ?? true,
          attachments: (row) => attachedIds(row.value, 'nodes'),
        }
        const shape = compileShape(shapeSpec)
        // Filters have their own tests; here the filter part is the compiled predicate.
        const where = compilePredicate(shapeSpec.where ?? {})
        for (const row of rows) {
          const typed = shapeSpec.types === undefined || shapeSpec.types.includes(row.type)
          const placed =
            sub === undefined ||
            (row.type === ORG_NODE_TYPE
              ? sub.has(row.id)
              : attachedIds(row.value, 'nodes').some((n) => sub.has(n)))
          expect(rowInShape(shape, row, view)).toBe(typed && where(row.value) && placed)
        }
      }),
      { numRuns: 300 },
    )
  })

  it('with a replica in view, is either right or unknown', () => {
    fc.assert(
      fc.property(star, spec, ({ rows, nodeCount, children }, s) => {
        const root = id((s.under ?? 0) % nodeCount)
        const shape = compileShape({ ...s, under: root })
        const sub = subtree(root, children)
        const truth: SubtreeView = {
          isUnder: (n) => sub.has(n),
          attachments: (r) => attachedIds(r.value, 'nodes'),
        }
        const held = new Map(rows.filter((r) => rowInShape(shape, r, truth)).map((r) => [r.id, r]))
        const replica = replicaSubtreeView(root, { get: (k) => held.get(k), values: () => held.values() })
        for (const row of rows) {
          const answer = rowInShape(shape, row, replica)
          if (answer !== undefined) expect(answer).toBe(rowInShape(shape, row, truth))
          if (row.type === ORG_NODE_TYPE && held.has(row.id)) expect(answer).toBe(true)
        }
      }),
      { numRuns: 300 },
    )
  })
})

describe('built-in shapes', () => {
  it('take only their params', () => {
    expect(builtInShapeSpec('entities', { type: 'Task', where: { a: 1 } })).toEqual({
      types: ['Task'],
      where: { a: 1 },
    })
    expect(builtInShapeSpec('orgTree', {})).toEqual({ types: [ORG_NODE_TYPE] })
    expect(() => builtInShapeSpec('entities', { kind: 'x' })).toThrow(ShapeParamsError)
    expect(() => builtInShapeSpec('entities', { type: 3 })).toThrow(/type must be a string/)
    expect(() => builtInShapeSpec('orgTree', { root: id(1), x: 1 })).toThrow(/unknown param "x"/)
  })

  it('check ids and filters, and key equal params alike', () => {
    expect(checkShapeSpec({ under: id(1).toUpperCase() })).toEqual({ under: id(1) })
    expect(() => checkShapeSpec({ under: 'root' })).toThrow(/under must be an OrgNode id/)
    expect(() => checkShapeSpec({ where: { $nor: [] } as unknown as Filter })).toThrow(ShapeParamsError)
    expect(shapeKey('s', { b: 1, a: 2 })).toBe(shapeKey('s', { a: 2, b: 1 }))
  })

  it('project values to their fields, and find attachments', () => {
    const row = { id: id(1), type: 'Task', value: { title: 't', secret: 's' } }
    expect(projectRow({ fields: ['title', 'missing'] }, row).value).toEqual({ title: 't' })
    expect(projectRow({}, row)).toBe(row)
    expect(attachedIds({ a: { nodes: [id(1).toUpperCase(), 3] } }, 'a.nodes')).toEqual([id(1)])
    expect(candidateAttachments({ n: [id(2), 'x'], m: id(3), o: { p: id(4) } })).toEqual([id(2), id(3)])
  })
})
