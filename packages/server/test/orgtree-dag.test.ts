// The OrgTree at scale: a random DAG of OrgNodes with attached Docs, its closures against a model.
import { randomUUID } from 'node:crypto'
import type { EntitySnapshot, JsonObject } from '@lumenize/protocol'
import { describe, expect, it } from 'vitest'
import { freshStar, mulberry32 } from './helpers'
import { edgeKeys, ids, sorted } from './orgtree-helpers'
import { type RpcResults, rpc, rpcAll, rpcError, sleep } from './rpc-client'

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
