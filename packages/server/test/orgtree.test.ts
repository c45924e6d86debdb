// The OrgTree on workerd: node and edge operations, every refusal, as-of trees, and a 2,000-node random DAG.
import { randomUUID } from 'node:crypto'
import type { EntitySnapshot, JsonObject } from '@lumenize/protocol'
import { describe, expect, it } from 'vitest'
import { freshStar, mulberry32 } from './helpers'
import {
  type RpcCallError,
  type RpcParams,
  type RpcResults,
  rpc,
  rpcAll,
  rpcBatch,
  rpcError,
  sleep,
  storeState,
} from './rpc-client'

const ids = (snaps: readonly EntitySnapshot[]): string[] => snaps.map((s) => s.id)
const sorted = (xs: Iterable<string>): string[] => [...xs].sort()
const edgeKeys = (edges: ReadonlyArray<{ parent: string; child: string }>): string[] =>
  sorted(edges.map((e) => `${e.parent}>${e.child}`))

/** Adds a node under a parent and returns it. */
async function addNode(star: string, parent: string, slug: string, extra: Record<string, unknown> = {}) {
  return rpc(star, 'orgTree.addNode', { parent, slug, name: slug.toUpperCase(), ...extra })
}

/** Runs a call that must fail with `code` and checks the star holds exactly what it held before. */
async function refused(
  star: string,
  method: keyof RpcResults,
  params: RpcParams,
  code: number,
): Promise<RpcCallError> {
  const before = await storeState(star)
  const treeBefore = await rpc(star, 'orgTree.tree')
  const err = await rpcError(star, method, params)
  expect({ code: err.code, message: err.message }).toMatchObject({ code })
  expect(await storeState(star)).toEqual(before)
  expect(await rpc(star, 'orgTree.tree')).toEqual(treeBefore)
  return err
}

describe('OrgTree operations', () => {
  it('starts every star with a root node whose slug is root', async () => {
    const star = freshStar()
    const root = await rpc(star, 'orgTree.root')
    expect(root).toMatchObject({
      type: 'OrgNode',
      version: 1,
      deleted: false,
      value: { slug: 'root', children: {} },
    })
    expect(await rpc(star, 'get', { id: root.id })).toEqual(root)
    expect(await rpc(star, 'orgTree.tree')).toEqual({ root: root.id, nodes: [root], edges: [] })
    expect(await rpc(star, 'orgTree.ancestors', { id: root.id })).toEqual([])
    expect(await rpc(star, 'orgTree.descendants', { id: root.id })).toEqual([])
    // The same root on every read.
    expect(await rpc(star, 'orgTree.root')).toEqual(root)
  })

  it('adds nodes and edges, gives a node several parents, removes edges, moves and deletes nodes', async () => {
    const star = freshStar()
    const root = await rpc(star, 'orgTree.root')
    const a = await addNode(star, root.id, 'a')
    const chosen = randomUUID()
    const b = await addNode(star, root.id, 'b', {
      id: chosen,
      fields: { color: 'blue' },
      edge: { role: 'lead' },
    })
    expect(b).toMatchObject({
      id: chosen,
      type: 'OrgNode',
      version: 1,
      value: { slug: 'b', name: 'B', color: 'blue' },
    })
    expect(b.value.children).toEqual({})
    const rootNow = await rpc(star, 'get', { id: root.id })
    expect(rootNow?.value.children).toEqual({ [a.id]: {}, [b.id]: { role: 'lead' } })
    expect(rootNow?.version).toBe(3)

    const c = await addNode(star, a.id, 'c')
    const parentB = await rpc(star, 'orgTree.addEdge', { parent: b.id, child: c.id, edge: { weight: 2 } })
    expect(parentB.id).toBe(b.id)
    expect(parentB.value.children).toEqual({ [c.id]: { weight: 2 } })
    expect(ids(await rpc(star, 'orgTree.ancestors', { id: c.id }))).toEqual(sorted([a.id, b.id, root.id]))
    // Reached through two paths, c is listed once.
    expect(ids(await rpc(star, 'orgTree.descendants', { id: root.id }))).toEqual(sorted([a.id, b.id, c.id]))
    expect(edgeKeys((await rpc(star, 'orgTree.tree')).edges)).toEqual(
      edgeKeys([
        { parent: root.id, child: a.id },
        { parent: root.id, child: b.id },
        { parent: a.id, child: c.id },
        { parent: b.id, child: c.id },
      ]),
    )

    const afterRemove = await rpc(star, 'orgTree.removeEdge', { parent: a.id, child: c.id })
    expect(afterRemove.value.children).toEqual({})
    expect(ids(await rpc(star, 'orgTree.ancestors', { id: c.id }))).toEqual(sorted([b.id, root.id]))

    // Move keeps the edge metadata unless given.
    const moved = await rpc(star, 'orgTree.move', { node: c.id, from: b.id, to: a.id })
    expect(moved.from.id).toBe(b.id)
    expect(moved.to.id).toBe(a.id)
    expect(moved.from.validFrom).toBe(moved.to.validFrom)
    expect(moved.from.value.children).toEqual({})
    expect(moved.to.value.children).toEqual({ [c.id]: { weight: 2 } })
    const movedBack = await rpc(star, 'orgTree.move', {
      node: c.id,
      from: a.id,
      to: b.id,
      edge: { weight: 5 },
    })
    expect(movedBack.to.value.children).toEqual({ [c.id]: { weight: 5 } })
    expect(ids(await rpc(star, 'orgTree.descendants', { id: b.id }))).toEqual([c.id])
    expect(ids(await rpc(star, 'orgTree.descendants', { id: a.id }))).toEqual([])

    // Deleting a leaf takes it out of its parent's children.
    const tomb = await rpc(star, 'orgTree.deleteNode', { id: c.id })
    expect(tomb).toMatchObject({ id: c.id, deleted: true })
    expect((await rpc(star, 'get', { id: b.id }))?.value.children).toEqual({})
    expect(await rpc(star, 'get', { id: c.id })).toBeNull()
    expect(ids((await rpc(star, 'orgTree.tree')).nodes)).toEqual(sorted([root.id, a.id, b.id]))
    expect((await rpc(star, 'orgTree.tree')).edges).toHaveLength(2)
    // Its slug is free again.
    expect((await addNode(star, a.id, 'c')).value.slug).toBe('c')
  })

  it('refuses every edge that closes a cycle of length 1 to 5 and changes nothing', async () => {
    const star = freshStar()
    const root = await rpc(star, 'orgTree.root')
    const chain: EntitySnapshot[] = []
    for (let k = 1; k <= 5; k++)
      chain.push(await addNode(star, k === 1 ? root.id : chain[k - 2]!.id, `a${k}`))
    const a1 = chain[0]!
    for (let k = 1; k <= 5; k++) {
      const ak = chain[k - 1]!
      const err = await refused(star, 'orgTree.addEdge', { parent: ak.id, child: a1.id }, 1009)
      expect(err.details).toEqual({ kind: 'CYCLE', parent: ak.id, child: a1.id })
    }
    // The root under anything, a move under one's own descendant, and a raw patch closing a cycle.
    await refused(star, 'orgTree.addEdge', { parent: chain[2]!.id, child: root.id }, 1009)
    await refused(star, 'orgTree.move', { node: chain[1]!.id, from: a1.id, to: chain[4]!.id }, 1009)
    await refused(star, 'patch', { id: chain[3]!.id, value: { children: { [chain[1]!.id]: {} } } }, 1009)
    await refused(
      star,
      'transaction',
      {
        ops: [
          { op: 'patch', id: chain[4]!.id, value: { children: { [a1.id]: {} } } },
          { op: 'patch', id: a1.id, value: { note: 'would change' } },
        ],
      },
      1009,
    )
    // Edges that skip levels are fine (still acyclic).
    const skip = await rpc(star, 'orgTree.addEdge', { parent: a1.id, child: chain[4]!.id })
    expect(Object.keys(skip.value.children as JsonObject)).toHaveLength(2)
  })

  it('refuses removing the last parent (1010), dangling children (1011), and deleting non-leaves (1012)', async () => {
    const star = freshStar()
    const root = await rpc(star, 'orgTree.root')
    const a = await addNode(star, root.id, 'a')
    const b = await addNode(star, a.id, 'b')
    const second = await refused(star, 'orgTree.removeEdge', { parent: a.id, child: b.id }, 1010)
    expect(second.details).toEqual({ kind: 'SECOND_ROOT', id: b.id })
    await refused(star, 'patch', { id: a.id, value: { children: { [b.id]: null } } }, 1010)
    // A node created without any parent would be a second root.
    await refused(
      star,
      'upsert',
      { id: randomUUID(), type: 'OrgNode', value: { slug: 'lonely', name: 'Lonely', children: {} } },
      1010,
    )

    const ghost = randomUUID()
    const dangling = await refused(
      star,
      'upsert',
      { id: a.id, type: 'OrgNode', value: { ...a.value, children: { [b.id]: {}, [ghost]: {} } } },
      1011,
    )
    expect(dangling.details).toEqual({ kind: 'DANGLING_EDGE', parent: a.id, child: ghost })
    // A child that exists but is not an OrgNode dangles too.
    const doc = await rpc(star, 'upsert', { type: 'Doc', value: { kind: 'x' } })
    await refused(star, 'orgTree.addEdge', { parent: a.id, child: doc.id }, 1011)

    const notLeaf = await refused(star, 'orgTree.deleteNode', { id: a.id }, 1012)
    expect(notLeaf.details).toEqual({ kind: 'NOT_A_LEAF', id: a.id, children: [b.id] })
    await refused(star, 'delete', { id: a.id }, 1012)
    // With a second parent, b can lose a and then a is a leaf.
    await rpc(star, 'orgTree.addEdge', { parent: root.id, child: b.id })
    await rpc(star, 'orgTree.removeEdge', { parent: a.id, child: b.id })
    expect((await rpc(star, 'orgTree.deleteNode', { id: a.id })).deleted).toBe(true)
  })

  it('refuses deleting a node with an attached Task (1006), the root (1013) and a duplicate slug (1004)', async () => {
    const star = freshStar()
    const root = await rpc(star, 'orgTree.root')
    const team = await addNode(star, root.id, 'team')
    const task = await rpc(star, 'upsert', { type: 'Task', value: { title: 'Plan', nodes: [team.id] } })
    const attached = await refused(star, 'orgTree.deleteNode', { id: team.id }, 1006)
    expect(attached.details).toEqual({ kind: 'STILL_REFERENCED', id: team.id, referrers: [task.id] })

    const rootErr = await refused(star, 'orgTree.deleteNode', { id: root.id }, 1013)
    expect(rootErr.details).toEqual({ kind: 'ROOT_IMMUTABLE', id: root.id })
    await refused(star, 'delete', { id: root.id }, 1013)

    const dup = await refused(star, 'orgTree.addNode', { parent: root.id, slug: 'team', name: 'Again' }, 1004)
    expect(dup.details).toEqual({
      kind: 'UNIQUE_VIOLATION',
      type: 'OrgNode',
      field: 'slug',
      value: 'team',
      id: team.id,
    })
    const other = await addNode(star, root.id, 'other')
    await refused(star, 'patch', { id: other.id, value: { slug: 'root' } }, 1004)
    // Malformed slugs are validation failures.
    for (const slug of ['Team', '-x', 'x-', 'a_b', '', 'x'.repeat(65)]) {
      await refused(star, 'orgTree.addNode', { parent: root.id, slug, name: 'Bad' }, 1001)
    }
    // Detached, the node can go.
    await rpc(star, 'patch', { id: task.id, value: { nodes: [] } })
    expect((await rpc(star, 'orgTree.deleteNode', { id: team.id })).deleted).toBe(true)
  })

  it('refuses edge operations whose parent is not an OrgNode and changes nothing', async () => {
    const star = freshStar()
    const root = await rpc(star, 'orgTree.root')
    const a = await addNode(star, root.id, 'a')
    const b = await addNode(star, root.id, 'b')
    const c = await addNode(star, a.id, 'c')
    await rpc(star, 'orgTree.addEdge', { parent: b.id, child: c.id })
    const doc = await rpc(star, 'upsert', { type: 'Doc', value: { kind: 'not a node' } })
    const calls: Array<[keyof RpcResults, RpcParams]> = [
      ['orgTree.addEdge', { parent: doc.id, child: c.id }],
      ['orgTree.removeEdge', { parent: doc.id, child: c.id }],
      ['orgTree.move', { node: c.id, from: a.id, to: doc.id }],
      ['orgTree.addNode', { parent: doc.id, slug: 'under-doc', name: 'Under a Doc' }],
    ]
    const got: unknown[] = []
    for (const [method, params] of calls) {
      const before = await storeState(star)
      const outcome = (await rpcBatch(star, [[method, params]]))[0]!
      const unchanged = JSON.stringify(await storeState(star)) === JSON.stringify(before)
      got.push({ method, code: outcome.ok ? 'answered' : outcome.error.code, unchanged })
    }
    // Not an OrgNode: NOT_FOUND or TYPE_MISMATCH, as long as it is refused and nothing changes.
    expect(got).toEqual(
      calls.map(([method]) => ({ method, code: expect.toBeOneOf([1002, 1008]), unchanged: true })),
    )
    expect((await rpc(star, 'get', { id: doc.id }))?.value).toEqual({ kind: 'not a node' })
    expect(ids(await rpc(star, 'orgTree.ancestors', { id: c.id }))).toEqual(sorted([root.id, a.id, b.id]))
  })

  it('reads the tree, descendants and ancestors as of an instant before a move', async () => {
    const star = freshStar()
    const root = await rpc(star, 'orgTree.root')
    const a = await addNode(star, root.id, 'a')
    await sleep(2)
    const b = await addNode(star, root.id, 'b')
    const c = await addNode(star, a.id, 'c')
    const d = await addNode(star, c.id, 'd')
    const before = d.validFrom
    await sleep(3)
    const moved = await rpc(star, 'orgTree.move', { node: c.id, from: a.id, to: b.id })
    expect(moved.to.validFrom).toBeGreaterThan(before)

    const old = await rpc(star, 'orgTree.tree', { asOf: before })
    const now = await rpc(star, 'orgTree.tree')
    const e = (p: EntitySnapshot, ch: EntitySnapshot) => ({ parent: p.id, child: ch.id })
    expect(edgeKeys(old.edges)).toEqual(edgeKeys([e(root, a), e(root, b), e(a, c), e(c, d)]))
    expect(edgeKeys(now.edges)).toEqual(edgeKeys([e(root, a), e(root, b), e(b, c), e(c, d)]))
    expect(ids(old.nodes)).toEqual(ids(now.nodes))
    const oldA = old.nodes.find((n) => n.id === a.id)
    expect(oldA?.value.children).toEqual({ [c.id]: {} })

    expect(ids(await rpc(star, 'orgTree.descendants', { id: a.id, asOf: before }))).toEqual(
      sorted([c.id, d.id]),
    )
    expect(ids(await rpc(star, 'orgTree.descendants', { id: a.id }))).toEqual([])
    expect(ids(await rpc(star, 'orgTree.descendants', { id: b.id, asOf: before }))).toEqual([])
    expect(ids(await rpc(star, 'orgTree.descendants', { id: b.id }))).toEqual(sorted([c.id, d.id]))
    expect(ids(await rpc(star, 'orgTree.ancestors', { id: d.id, asOf: before }))).toEqual(
      sorted([root.id, a.id, c.id]),
    )
    expect(ids(await rpc(star, 'orgTree.ancestors', { id: d.id }))).toEqual(sorted([root.id, b.id, c.id]))
    expect(
      ids(await rpc(star, 'orgTree.ancestors', { id: d.id, asOf: new Date(before).toISOString() })),
    ).toEqual(sorted([root.id, a.id, c.id]))
    // Before d existed, it is not a node to ask about.
    expect((await rpcError(star, 'orgTree.ancestors', { id: d.id, asOf: d.validFrom - 1 })).code).toBe(1002)
    const earliest = await rpc(star, 'orgTree.tree', { asOf: a.validFrom })
    expect(edgeKeys(earliest.edges)).toEqual(edgeKeys([e(root, a)]))
  })
})

/** The reference model of the DAG: parents and children of every node, as the test wrote them. */
class Dag {
  readonly children = new Map<string, Set<string>>()
  readonly parents = new Map<string, Set<string>>()

  constructor(readonly root: string) {
    this.children.set(root, new Set())
    this.parents.set(root, new Set())
  }

  clone(): Dag {
    const copy = new Dag(this.root)
    for (const [k, v] of this.children) copy.children.set(k, new Set(v))
    for (const [k, v] of this.parents) copy.parents.set(k, new Set(v))
    return copy
  }

  addNode(id: string): void {
    this.children.set(id, new Set())
    this.parents.set(id, new Set())
  }

  addEdge(parent: string, child: string): void {
    this.children.get(parent)!.add(child)
    this.parents.get(child)!.add(parent)
  }

  removeEdge(parent: string, child: string): void {
    this.children.get(parent)!.delete(child)
    this.parents.get(child)!.delete(parent)
  }

  private walk(id: string, next: Map<string, Set<string>>): Set<string> {
    const seen = new Set<string>()
    const stack = [...next.get(id)!]
    while (stack.length > 0) {
      const n = stack.pop()!
      if (seen.has(n)) continue
      seen.add(n)
      stack.push(...next.get(n)!)
    }
    return seen
  }

  descendants(id: string): Set<string> {
    return this.walk(id, this.children)
  }

  ancestors(id: string): Set<string> {
    return this.walk(id, this.parents)
  }

  edges(): string[] {
    const out: string[] = []
    for (const [p, cs] of this.children) for (const c of cs) out.push(`${p}>${c}`)
    return out.sort()
  }
}

describe('a random DAG of 2,000 OrgNodes with 1,000 attached Docs', () => {
  it('matches a brute-force reference for descendants, ancestors and under-queries, now and as of before 50 moves', async () => {
    const star = freshStar()
    const rand = mulberry32(424242)
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!
    const root = await rpc(star, 'orgTree.root')
    const dag = new Dag(root.id)
    const nodes: string[] = [root.id]

    // 1. Nodes: each new node gets 1-3 distinct parents among earlier nodes. A transaction upserts
    // its nodes first, then patches each parent once with all of its new children (≤ 1000 ops).
    const NODES = 2000
    const plan: Array<{ id: string; parents: string[] }> = []
    for (let i = 1; i <= NODES; i++) {
      const id = randomUUID()
      const want = 1 + Math.floor(rand() * 3)
      const parents = new Set<string>()
      while (parents.size < Math.min(want, nodes.length)) parents.add(pick(nodes))
      plan.push({ id, parents: [...parents] })
      nodes.push(id)
    }
    const transactions: Array<{ ops: unknown[] }> = []
    let chunk: typeof plan = []
    const flush = () => {
      if (chunk.length === 0) return
      const byParent = new Map<string, JsonObject>()
      for (const n of chunk) {
        for (const p of n.parents) {
          const kids = byParent.get(p) ?? {}
          kids[n.id] = { since: n.id.slice(0, 4) }
          byParent.set(p, kids)
        }
      }
      const ops: unknown[] = chunk.map((n) => ({
        op: 'upsert',
        id: n.id,
        type: 'OrgNode',
        value: { slug: `n${nodes.indexOf(n.id)}`, name: `Node ${n.id.slice(0, 8)}`, children: {} },
      }))
      for (const [p, kids] of byParent) ops.push({ op: 'patch', id: p, value: { children: kids } })
      expect(ops.length).toBeLessThanOrEqual(1000)
      transactions.push({ ops })
      chunk = []
    }
    for (const n of plan) {
      chunk.push(n)
      if (chunk.length === 200) flush()
    }
    flush()
    for (const n of plan) {
      dag.addNode(n.id)
      for (const p of n.parents) dag.addEdge(p, n.id)
    }
    // Several transactions per JSON-RPC batch.
    for (let i = 0; i < transactions.length; i += 5) {
      await rpcAll(
        star,
        transactions.slice(i, i + 5).map((t) => ['transaction', t] as const),
      )
    }

    // 2. Docs: ~1,000 attached to 1-2 random nodes (a few to none).
    const docsOf = new Map<string, string[]>()
    const docOps: unknown[] = []
    for (let i = 0; i < 1000; i++) {
      const id = randomUUID()
      const r = rand()
      const at = r < 0.05 ? [] : r < 0.7 ? [pick(nodes)] : [pick(nodes), pick(nodes)]
      const unique = [...new Set(at)]
      docsOf.set(id, unique)
      docOps.push({ op: 'upsert', id, type: 'Doc', value: { kind: 'page', i, nodes: unique } })
    }
    const docResults = (await rpcAll(star, [
      ['transaction', { ops: docOps.slice(0, 500) }],
      ['transaction', { ops: docOps.slice(500) }],
    ])) as Array<RpcResults['transaction']>
    // The instant of the last write before the changes below.
    const beforeMoves = docResults[1]!.snapshots[0]!.validFrom
    const docsAt = (docs: Map<string, string[]>) => {
      const out = new Map<string, Set<string>>()
      for (const [doc, at] of docs) {
        for (const n of at) {
          const set = out.get(n) ?? new Set<string>()
          set.add(doc)
          out.set(n, set)
        }
      }
      return out
    }
    const expectedUnder = (ref: Dag, docs: Map<string, string[]>, id: string): string[] => {
      const attached = docsAt(docs)
      const sub = ref.descendants(id)
      sub.add(id)
      const out = new Set(sub)
      for (const n of sub) for (const d of attached.get(n) ?? []) out.add(d)
      return sorted(out)
    }

    const sample = [root.id, nodes[1]!, nodes[NODES]!]
    while (sample.length < 30) sample.push(pick(nodes))

    /** Compares descendants, ancestors and under-queries of the sample against a reference. */
    const compare = async (ref: Dag, docs: Map<string, string[]>, asOf?: number) => {
      const at = asOf === undefined ? {} : { asOf }
      const results = await rpcAll(
        star,
        sample.flatMap((id) => [
          ['orgTree.descendants', { id, ...at }] as const,
          ['orgTree.ancestors', { id, ...at }] as const,
          ['query', { under: id, limit: 10_000, ...at }] as const,
        ]),
      )
      sample.forEach((id, i) => {
        const desc = results[3 * i] as RpcResults['orgTree.descendants']
        const anc = results[3 * i + 1] as RpcResults['orgTree.ancestors']
        const under = results[3 * i + 2] as RpcResults['query']
        expect({ id, descendants: ids(desc) }).toEqual({ id, descendants: sorted(ref.descendants(id)) })
        expect({ id, ancestors: ids(anc) }).toEqual({ id, ancestors: sorted(ref.ancestors(id)) })
        expect({ id, under: sorted(ids(under.entities)) }).toEqual({
          id,
          under: expectedUnder(ref, docs, id),
        })
        expect(under.hasMore).toBe(false)
      })
      const tree = await rpc(star, 'orgTree.tree', at)
      expect(edgeKeys(tree.edges)).toEqual(ref.edges())
      expect(tree.nodes).toHaveLength(NODES + 1)
    }
    await compare(dag, docsOf)
    // The sample covers big and small subtrees.
    expect(dag.descendants(root.id).size).toBe(NODES)
    expect(sample.some((id) => dag.descendants(id).size === 0)).toBe(true)

    // 3. ~50 random changes that keep the DAG acyclic and every node with a parent: moves, edge
    // removals from nodes with several parents, new edges, and Docs re-attached.
    const oldDag = dag.clone()
    const oldDocs = new Map(docsOf)
    await sleep(3)
    let firstChangeAt: number | undefined
    const counts = { move: 0, removeEdge: 0, addEdge: 0, reattach: 0 }
    while (counts.move + counts.removeEdge + counts.addEdge + counts.reattach < 50) {
      const r = rand()
      const node = pick(nodes.slice(1))
      let result: EntitySnapshot
      if (r < 0.5) {
        const from = pick([...dag.parents.get(node)!])
        const below = dag.descendants(node)
        const options = nodes.filter((n) => n !== node && !below.has(n) && !dag.parents.get(node)!.has(n))
        const to = pick(options)
        const moved = await rpc(star, 'orgTree.move', { node, from, to })
        dag.removeEdge(from, node)
        dag.addEdge(to, node)
        result = moved.to
        counts.move++
      } else if (r < 0.7) {
        const parents = [...dag.parents.get(node)!]
        if (parents.length < 2) continue
        const parent = pick(parents)
        result = await rpc(star, 'orgTree.removeEdge', { parent, child: node })
        dag.removeEdge(parent, node)
        counts.removeEdge++
      } else if (r < 0.85) {
        const below = dag.descendants(node)
        const options = nodes.filter((n) => n !== node && !below.has(n) && !dag.parents.get(node)!.has(n))
        const parent = pick(options)
        result = await rpc(star, 'orgTree.addEdge', { parent, child: node })
        dag.addEdge(parent, node)
        counts.addEdge++
      } else {
        const doc = pick([...docsOf.keys()])
        const at = [node]
        result = await rpc(star, 'patch', { id: doc, value: { nodes: at } })
        docsOf.set(doc, at)
        counts.reattach++
      }
      firstChangeAt ??= result.validFrom
    }
    expect(counts.move).toBeGreaterThan(10)
    expect(counts.removeEdge + counts.addEdge).toBeGreaterThan(5)
    expect(firstChangeAt).toBeGreaterThan(beforeMoves)
    expect(dag.edges()).not.toEqual(oldDag.edges())

    // 4. Now, and as of the instant before the first change.
    await compare(dag, docsOf)
    await compare(oldDag, oldDocs, beforeMoves)
    // A cycle attempt through the random DAG is still refused: a node under one of its descendants.
    const top = nodes.find((n) => n !== root.id && dag.descendants(n).size > 5)!
    const deep = pick([...dag.descendants(top)])
    const cyc = await rpcError(star, 'orgTree.addEdge', { parent: deep, child: top })
    expect(cyc.code).toBe(1009)
  })
})
