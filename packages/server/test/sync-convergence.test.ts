// Randomized convergence: many writers and overlapping subscriptions; every replica ends equal to a fresh query.
import { describe, expect, it } from 'vitest'
import { freshStar, mulberry32 } from './helpers'
import { type BatchOutcome, type RpcMethodName, type RpcParams, rpc, rpcBatch } from './rpc-client'
import { type NewMutation, SyncClient } from './sync-client'

type Call = readonly [RpcMethodName, RpcParams?]
type Json = Record<string, unknown>

const SEED = 20_261_123
const NODES = 40
const OPERATIONS = 3_000

const rand = mulberry32(SEED)
const int = (n: number): number => Math.floor(rand() * n)
const chance = (p: number): boolean => rand() < p
const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!
const hex = (n: number): string => Array.from({ length: n }, () => int(16).toString(16)).join('')
const uuid = (): string => `${hex(8)}-${hex(4)}-4${hex(3)}-${pick(['8', '9', 'a', 'b'])}${hex(3)}-${hex(12)}`

/** Refusals a random writer may get for a write that raced another or would break the OrgTree. */
const EXPECTED_REFUSALS = new Set([
  'NOT_FOUND',
  'CONFLICT',
  'REFERENCE_VIOLATION',
  'STILL_REFERENCED',
  'CYCLE',
  'SECOND_ROOT',
  'NOT_A_LEAF',
  'DANGLING_EDGE',
])

interface Tree {
  nodes: string[]
  edges: Array<{ parent: string; child: string }>
}

/** The writers' view of the star: ids they created (maybe since deleted) and the tree as last read. */
class Model {
  readonly docs: string[] = []
  tree: Tree = { nodes: [], edges: [] }
  private docCount = 0
  private slugCount = 0

  constructor(
    readonly root: string,
    readonly pinned: readonly string[],
  ) {}

  docValue(): Json {
    const value: Json = { kind: pick(['a', 'a', 'b', 'c']), n: int(21), title: `d${++this.docCount}` }
    if (!chance(0.2)) value.nodes = Array.from({ length: 1 + int(3) }, () => pick(this.tree.nodes))
    return value
  }

  docPatch(): Json {
    switch (int(5)) {
      case 0:
        return { n: int(21) }
      case 1:
        return { kind: pick(['a', 'b', 'c']) }
      case 2:
        return { nodes: Array.from({ length: int(3) }, () => pick(this.tree.nodes)) }
      case 3:
        return { n: null, extra: { deep: int(5) } }
      default:
        return { kind: pick(['a', 'b']), n: 10 + int(11) }
    }
  }

  /** One random Doc op, in the shape of a transaction op. */
  docOp(): Json {
    const r = rand()
    if (r < 0.3 || this.docs.length < 10) {
      const id = uuid()
      this.docs.push(id)
      return { op: 'upsert', id, type: 'Doc', value: this.docValue(), ...(chance(0.1) ? { ifMatch: 0 } : {}) }
    }
    const id = pick(this.docs)
    if (r < 0.45) return { op: 'upsert', id, type: 'Doc', value: this.docValue() }
    if (r < 0.88) return { op: 'patch', id, value: this.docPatch() }
    return { op: 'delete', id }
  }

  /** A pushed mutation: a built-in mutator with one op, or a transaction of several. */
  mutation(): NewMutation {
    if (chance(0.12))
      return { name: 'transaction', args: { ops: Array.from({ length: 2 + int(3) }, () => this.docOp()) } }
    const { op, ...args } = this.docOp()
    return { name: op as string, args }
  }

  /** A JSON-RPC write: mostly Docs, some Tasks (outside every Doc shape), and OrgTree changes. */
  call(): Call {
    const r = rand()
    if (r < 0.55) {
      const { op, ...params } = this.docOp()
      return [op as RpcMethodName, params]
    }
    if (r < 0.65) return ['transaction', { ops: Array.from({ length: 2 + int(4) }, () => this.docOp()) }]
    if (r < 0.7)
      return ['upsert', { type: 'Task', value: { title: `t${int(1000)}`, nodes: [pick(this.tree.nodes)] } }]
    return this.treeCall()
  }

  private treeCall(): Call {
    const movable = this.tree.nodes.filter((n) => n !== this.root)
    const r = rand()
    if (r < 0.45) {
      const edge = pick(this.tree.edges)
      return ['orgTree.move', { node: edge.child, from: edge.parent, to: pick(this.tree.nodes) }]
    }
    if (r < 0.65) return ['orgTree.addEdge', { parent: pick(this.tree.nodes), child: pick(movable) }]
    if (r < 0.8) {
      const edge = pick(this.tree.edges)
      return ['orgTree.removeEdge', { parent: edge.parent, child: edge.child }]
    }
    if (r < 0.93) {
      const id = uuid()
      return [
        'orgTree.addNode',
        { parent: pick(this.tree.nodes), slug: `x${++this.slugCount}`, name: 'X', id },
      ]
    }
    const deletable = movable.filter((n) => !this.pinned.includes(n))
    return ['orgTree.deleteNode', { id: pick(deletable) }]
  }

  async refreshTree(star: string): Promise<void> {
    const tree = await rpc(star, 'orgTree.tree')
    this.tree = { nodes: tree.nodes.map((n) => n.id), edges: tree.edges }
  }
}

interface ShapeSpec {
  shape: string
  params: Json
  /** The `query` that must return exactly the subscription's rows. */
  query: Json
}

describe('sync convergence', () => {
  it('converges every subscription of six clients to a fresh query after 3,000 random writes from seven writers', {
    timeout: 80_000,
  }, async () => {
    const star = freshStar('conv')
    const root = (await rpc(star, 'orgTree.root')).id

    // An OrgTree of 40 nodes: a and b under the root, the rest under random earlier nodes, a few shared.
    const nodeIds = [root]
    const build: Call[] = []
    for (let i = 1; i < NODES; i++) {
      const id = uuid()
      build.push([
        'orgTree.addNode',
        { parent: i <= 2 ? root : pick(nodeIds), slug: `n${i}`, name: `N${i}`, id },
      ])
      nodeIds.push(id)
    }
    for (const outcome of await rpcBatch(star, build)) expect(outcome.ok).toBe(true)
    const [a, b] = [nodeIds[1]!, nodeIds[2]!]
    const model = new Model(root, [a, b])
    await model.refreshTree(star)
    expect(model.tree.nodes).toHaveLength(NODES)
    await rpcBatch(
      star,
      Array.from(
        { length: 6 },
        (): Call => ['orgTree.addEdge', { parent: pick(nodeIds), child: pick(nodeIds.slice(3)) }],
      ),
    )
    await model.refreshTree(star)

    const shapes: Record<string, ShapeSpec> = {
      docs: { shape: 'entities', params: { type: 'Doc' }, query: { type: 'Doc' } },
      hot: {
        shape: 'entities',
        params: { type: 'Doc', where: { kind: 'a', n: { $gte: 10 } } },
        query: { type: 'Doc', where: { kind: 'a', n: { $gte: 10 } } },
      },
      docsA: { shape: 'entities', params: { type: 'Doc', under: a }, query: { type: 'Doc', under: a } },
      docsB: { shape: 'entities', params: { type: 'Doc', under: b }, query: { type: 'Doc', under: b } },
      bsA: {
        shape: 'entities',
        params: { type: 'Doc', under: a, where: { kind: 'b' } },
        query: { type: 'Doc', under: a, where: { kind: 'b' } },
      },
      allB: { shape: 'entities', params: { under: b }, query: { under: b } },
      tree: { shape: 'orgTree', params: {}, query: { type: 'OrgNode' } },
      treeA: { shape: 'orgTree', params: { root: a }, query: { type: 'OrgNode', under: a } },
      treeB: { shape: 'orgTree', params: { root: b }, query: { type: 'OrgNode', under: b } },
    }
    const layout: string[][] = [
      ['docs', 'tree'],
      ['hot'],
      ['docsA', 'treeA'],
      ['docsB', 'hot', 'treeB'],
      ['docs', 'docsA', 'allB'],
      ['bsA'],
    ]
    const clients: SyncClient[] = []
    for (const [i, subIds] of layout.entries()) {
      // The last client shares the first one's group: it must see that client's confirmations too.
      const group = i === layout.length - 1 ? { clientGroupId: clients[0]!.clientGroupId } : {}
      const client = await SyncClient.connect(star, group)
      for (const subId of subIds) await client.subscribe(subId, shapes[subId]!.shape, shapes[subId]!.params)
      clients.push(client)
    }

    // Random writes in bursts: pushes from every client (not awaited) and JSON-RPC batches.
    let operations = 0
    const rpcRefusals = new Map<string, number>()
    const refused = (outcome: BatchOutcome): void => {
      if (outcome.ok) return
      const kind = String(outcome.error.details.kind)
      expect(EXPECTED_REFUSALS, `unexpected refusal ${outcome.error.message}`).toContain(kind)
      rpcRefusals.set(kind, (rpcRefusals.get(kind) ?? 0) + 1)
    }
    let movesApplied = 0
    while (operations < OPERATIONS) {
      for (const client of clients) {
        if (!chance(0.6)) continue
        const mutations = Array.from({ length: 1 + int(4) }, () => model.mutation())
        client.push(mutations)
        operations += mutations.length
      }
      const calls = Array.from({ length: 5 + int(10) }, () => model.call())
      operations += calls.length
      const outcomes = await rpcBatch(star, calls)
      outcomes.forEach(refused)
      movesApplied += calls.filter(([m], i) => m === 'orgTree.move' && outcomes[i]!.ok).length
      if (calls.some(([m]) => m.startsWith('orgTree.'))) await model.refreshTree(star)
    }
    expect(operations).toBeGreaterThanOrEqual(OPERATIONS)
    expect(movesApplied).toBeGreaterThan(10)

    // Quiescence: every push confirmed, then one write that changes every shape; all reach its seq.
    await Promise.all(clients.map((c) => c.waitForWatermark(c.nextMutationId - 1, 30_000)))
    const lastDocs = [uuid(), uuid()]
    await rpc(star, 'transaction', {
      ops: [
        { op: 'patch', id: a, value: { touched: true } },
        { op: 'patch', id: b, value: { touched: true } },
        { op: 'upsert', id: lastDocs[0], type: 'Doc', value: { kind: 'a', n: 15, nodes: [a, b] } },
        { op: 'upsert', id: lastDocs[1], type: 'Doc', value: { kind: 'b', n: 0, nodes: [a] } },
      ],
    })
    const { seq } = await rpc(star, 'star.health')
    await Promise.all(clients.map((c) => c.waitForCookie(seq, 30_000)))

    for (const client of clients) {
      expect(client.cookie).toBe(seq)
      expect(client.violations).toEqual([])
      expect(client.errors).toEqual([])
      for (const e of client.mutationErrors) {
        expect(e.clientId).toBe(client.clientId)
        expect(EXPECTED_REFUSALS, `unexpected mutationError ${e.error.message}`).toContain(e.error.kind)
      }
      expect(client.watermark).toBe(client.nextMutationId - 1)
      for (const sub of client.subs.values()) {
        expect(sub.cookie).toBe(seq)
        const fresh = await rpc(star, 'query', { ...shapes[sub.subId]!.query, limit: 10_000 })
        expect(fresh.hasMore).toBe(false)
        const rows = client.rows(sub.subId)
        expect(rows.length, `${sub.subId} of client ${clients.indexOf(client)}`).toBe(fresh.entities.length)
        expect(rows).toEqual(fresh.entities)
      }
    }
    // The group's other socket saw the first client's confirmations, and vice versa.
    const [first, sibling] = [clients[0]!, clients.at(-1)!]
    expect(sibling.confirmed.get(first.clientId)).toBe(first.watermark)
    expect(first.confirmed.get(sibling.clientId)).toBe(sibling.watermark)

    // The run exercised what it claims: every subscription got changes, rows left every subtree.
    const dels = clients.flatMap((c) => c.pokes.flatMap((p) => p.parts.flatMap((part) => part.dels)))
    expect(dels.length).toBeGreaterThan(100)
    for (const subId of Object.keys(shapes)) {
      const holder = clients.find((c) => c.subs.has(subId))!
      const parts = holder.pokes.flatMap((p) =>
        p.parts.filter((part) => part.subId === subId && !part.truncate),
      )
      const puts = parts.reduce((n, part) => n + part.puts.length, 0)
      const gone = parts.reduce((n, part) => n + part.dels.length, 0)
      expect(puts, `puts to ${subId}`).toBeGreaterThan(20)
      if (shapes[subId]!.query.under !== undefined) expect(gone, `dels from ${subId}`).toBeGreaterThan(0)
    }
    // Writers were refused now and then (races, cycles), and those refusals changed nothing above.
    expect(rpcRefusals.get('CYCLE') ?? 0).toBeGreaterThan(0)
    expect(clients.some((c) => c.mutationErrors.length > 0)).toBe(true)
    const seeds = clients.flatMap((c) => c.pokes.filter((p) => p.parts.some((part) => part.truncate)))
    expect(seeds).toHaveLength(layout.flat().length)
    await Promise.all(clients.map((c) => c.close()))
  })
})
