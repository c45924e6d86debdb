// The OrgTree on workerd: node and edge operations, every refusal, as-of trees, and a 2,000-node random DAG.
import { randomUUID } from 'node:crypto'
import type { EntitySnapshot, JsonObject } from '@lumenize/protocol'
import { describe, expect, it } from 'vitest'
import { freshStar } from './helpers'
import { addNode, edgeKeys, ids, refused, sorted } from './orgtree-helpers'
import { type RpcParams, type RpcResults, rpc, rpcBatch, rpcError, sleep, storeState } from './rpc-client'

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
