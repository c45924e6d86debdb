// Resuming subscriptions from cookies: exact diffs, re-seeds after trims or future cookies, OrgTree moves.
import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { freshStar } from './helpers'
import { type RpcMethodName, type RpcParams, rpc, rpcAll } from './rpc-client'
import { type AppliedPoke, SyncClient } from './sync-client'

type Call = readonly [RpcMethodName, RpcParams?]

const sorted = (xs: Iterable<string>): string[] => [...xs].sort()
const putIds = (poke: AppliedPoke, subId: string) =>
  sorted(poke.parts.filter((p) => p.subId === subId).flatMap((p) => p.puts.map((r) => r.id)))
const delIds = (poke: AppliedPoke, subId: string) =>
  sorted(poke.parts.filter((p) => p.subId === subId).flatMap((p) => p.dels))
const truncated = (poke: AppliedPoke, subId: string) =>
  poke.parts.some((p) => p.subId === subId && p.truncate === true)

/** Asserts that a subscription's replica is, row for row, what a fresh query returns now. */
async function expectConverged(
  star: string,
  client: SyncClient,
  subId: string,
  query: Record<string, unknown>,
) {
  const fresh = await rpc(star, 'query', { ...query, limit: 10_000 })
  expect(fresh.hasMore).toBe(false)
  expect(client.rows(subId)).toEqual(fresh.entities)
}

/** Creates Docs with the given values in one transaction; returns their ids. */
async function createDocs(star: string, values: ReadonlyArray<Record<string, unknown>>): Promise<string[]> {
  const ids = values.map(() => randomUUID())
  await rpc(star, 'transaction', {
    ops: values.map((value, i) => ({ op: 'upsert', id: ids[i], type: 'Doc', value })),
  })
  return ids
}

async function seq(star: string): Promise<number> {
  return (await rpc(star, 'star.health')).seq
}

const X = { type: 'Doc', where: { kind: 'x' } }

describe('sync resume', () => {
  it('resumes from a cookie after 1,000 writes with only the changed rows of the shape, no truncate', async () => {
    const star = freshStar()
    const xs = await createDocs(
      star,
      Array.from({ length: 300 }, (_, i) => ({ kind: 'x', n: i })),
    )
    const ys = await createDocs(
      star,
      Array.from({ length: 300 }, (_, i) => ({ kind: 'y', n: i })),
    )
    const first = await SyncClient.connect(star)
    const seed = await first.subscribe('xs', 'entities', X)
    expect(truncated(seed, 'xs')).toBe(true)
    expect(first.rows('xs')).toHaveLength(300)
    const old = { cookie: first.subs.get('xs')!.cookie, rows: first.subs.get('xs')!.rows }
    expect(old.cookie).toBe(await seq(star))
    await first.close()

    const calls: Call[] = []
    const patch = (id: string, value: Record<string, unknown>) => calls.push(['patch', { id, value }])
    for (const id of xs.slice(0, 10)) for (let k = 1; k <= 3; k++) patch(id, { n: 1000 + k })
    for (const id of xs.slice(10, 15)) calls.push(['delete', { id }])
    const created = Array.from({ length: 5 }, () => randomUUID())
    for (const id of created) calls.push(['upsert', { id, type: 'Doc', value: { kind: 'x', n: -1 } }])
    for (let k = 0; k < 3; k++) {
      const id = randomUUID()
      calls.push(['upsert', { id, type: 'Doc', value: { kind: 'x', n: -2 } }], ['delete', { id }])
    }
    for (const id of ys.slice(0, 5)) patch(id, { kind: 'x' })
    for (const id of xs.slice(15, 20)) patch(id, { kind: 'y' })
    // Round trips: in and out again (no row), out and in again (a put of the new version).
    for (const id of ys.slice(5, 8)) {
      patch(id, { kind: 'x' })
      patch(id, { kind: 'y' })
    }
    for (const id of xs.slice(20, 23)) {
      patch(id, { kind: 'y' })
      patch(id, { kind: 'x' })
    }
    // The rest touch entities outside the shape: other Docs and Tasks.
    let k = 0
    while (calls.length < 1000) {
      k++
      if (k % 10 === 0) calls.push(['upsert', { type: 'Task', value: { title: `t${k}`, status: 'todo' } }])
      else patch(ys[10 + (k % 290)]!, { n: k })
    }
    expect(calls).toHaveLength(1000)
    const before = await seq(star)
    await rpcAll(star, calls)
    const now = await seq(star)
    expect(now - before).toBe(1000)

    const again = await SyncClient.connect(star, {
      clientGroupId: first.clientGroupId,
      clientId: first.clientId,
    })
    const poke = await again.subscribe('xs', 'entities', X, old)
    expect(poke.baseCookie).toBe(old.cookie)
    expect(poke.cookie).toBe(now)
    expect(truncated(poke, 'xs')).toBe(false)
    const puts = putIds(poke, 'xs')
    const dels = delIds(poke, 'xs')
    expect(puts).toEqual(sorted([...xs.slice(0, 10), ...created, ...ys.slice(0, 5), ...xs.slice(20, 23)]))
    expect(dels).toEqual(sorted([...xs.slice(10, 20)]))
    // 33 distinct entities of the shape were affected; a re-seed would have sent 300.
    expect(puts.length + dels.length).toBeLessThanOrEqual(33)
    await expectConverged(star, again, 'xs', X)
    expect(again.subs.get('xs')!.cookie).toBe(now)
    expect(again.violations).toEqual([])
  })

  it('re-seeds with truncate when the op-log was trimmed past the cookie, and keeps counting seqs', async () => {
    const star = freshStar()
    const xs = await createDocs(
      star,
      Array.from({ length: 40 }, (_, i) => ({ kind: 'x', n: i })),
    )
    const first = await SyncClient.connect(star)
    await first.subscribe('xs', 'entities', X)
    const old = { cookie: first.subs.get('xs')!.cookie, rows: first.subs.get('xs')!.rows }
    await first.close()

    await rpcAll(star, [
      ...xs.slice(0, 10).map((id): Call => ['delete', { id }]),
      ...xs.slice(10, 20).map((id): Call => ['patch', { id, value: { n: -1 } }]),
      ['upsert', { type: 'Doc', value: { kind: 'x', n: 99 } }],
    ])
    const beforeTrim = await seq(star)
    const trim = await rpc(star, 'star.trimOpLog', { keepLast: 0 })
    expect(trim.trimmedThrough).toBe(beforeTrim)
    // Trimming drops history of changes, not the cookie: the seq does not go back.
    expect(await seq(star)).toBe(beforeTrim)

    const again = await SyncClient.connect(star)
    const poke = await again.subscribe('xs', 'entities', X, old)
    expect(truncated(poke, 'xs')).toBe(true)
    expect(poke.parts[0]).toMatchObject({ subId: 'xs', truncate: true })
    expect(poke.cookie).toBe(beforeTrim)
    expect(putIds(poke, 'xs')).toHaveLength(31)
    expect(delIds(poke, 'xs')).toEqual([])
    await expectConverged(star, again, 'xs', X)
    // The deleted rows the old replica held are gone.
    for (const id of xs.slice(0, 10)) expect(again.subs.get('xs')!.rows.has(id)).toBe(false)

    // Writes after the trim get new, higher seqs and reach the subscriber.
    const [late] = await createDocs(star, [{ kind: 'x', n: 100 }])
    const after = await seq(star)
    expect(after).toBe(beforeTrim + 1)
    await again.waitForCookie(after)
    expect(again.subs.get('xs')!.rows.get(late!)?.value).toEqual({ kind: 'x', n: 100 })
    await expectConverged(star, again, 'xs', X)
    expect(again.violations).toEqual([])
  })

  it('re-seeds a subscription that names a cookie from the future', async () => {
    const star = freshStar()
    await createDocs(star, [{ kind: 'x' }, { kind: 'x' }, { kind: 'y' }])
    const client = await SyncClient.connect(star)
    const stale = new Map([[randomUUID(), await rpc(star, 'orgTree.root')]])
    const now = await seq(star)
    const poke = await client.subscribe('xs', 'entities', X, { cookie: now + 1000, rows: stale })
    expect(truncated(poke, 'xs')).toBe(true)
    expect(poke.cookie).toBe(now)
    expect(putIds(poke, 'xs')).toHaveLength(2)
    await expectConverged(star, client, 'xs', X)
    expect(client.subs.get('xs')!.cookie).toBe(now)
  })

  it('seeds and pokes large shapes in parts under 512 KiB, truncating only in the first part', async () => {
    const star = freshStar()
    const blob = 'b'.repeat(100_000)
    const big = await createDocs(
      star,
      Array.from({ length: 8 }, (_, i) => ({ kind: 'x', i, blob })),
    )
    const client = await SyncClient.connect(star)
    const seed = await client.subscribe('xs', 'entities', X)
    expect(seed.parts.length).toBeGreaterThanOrEqual(4)
    expect(seed.parts.map((p) => p.truncate === true)).toEqual(seed.parts.map((_, i) => i === 0))
    expect(putIds(seed, 'xs')).toEqual(sorted(big))
    await expectConverged(star, client, 'xs', X)

    // A live poke with as much data is split the same way, and applied whole.
    await rpc(star, 'transaction', {
      ops: big.map((id) => ({ op: 'patch', id, value: { blob: `${blob}!` } })),
    })
    await client.waitForCookie(await seq(star))
    const poke = client.pokes.at(-1)!
    expect(poke.parts.length).toBeGreaterThanOrEqual(4)
    expect(poke.parts.some((p) => p.truncate)).toBe(false)
    await expectConverged(star, client, 'xs', X)
    expect(client.largestFrameBytes).toBeLessThan(512 * 1024)
    expect(client.violations).toEqual([])
  })

  it('gives a quiet live subscriber an empty poke at the trim, so it later resumes without a re-seed', async () => {
    const star = freshStar()
    await createDocs(star, [{ kind: 'x', n: 1 }])
    const quiet = await SyncClient.connect(star)
    await quiet.subscribe('xs', 'entities', X)
    const quietCookie = quiet.cookie
    const busy = await SyncClient.connect(star)
    await busy.subscribe('ys', 'entities', { type: 'Doc', where: { kind: 'y' } })
    for (let i = 0; i < 5; i++) await createDocs(star, [{ kind: 'y', n: i }])
    const now = await seq(star)
    await busy.waitForCookie(now)
    await quiet.ping()
    // Nothing changed for the quiet socket: no poke, its cookie stays behind.
    expect(quiet.pokes).toHaveLength(1)
    expect(quiet.cookie).toBe(quietCookie)
    expect(quietCookie).toBeLessThan(now)

    await rpc(star, 'star.trimOpLog', { keepLast: 0 })
    await quiet.waitForCookie(now)
    const empty = quiet.pokes.at(-1)!
    expect(empty).toMatchObject({ baseCookie: now, cookie: now, parts: [], lastMutationIdChanges: {} })
    expect(quiet.subs.get('xs')!.cookie).toBe(now)
    const rows = quiet.subs.get('xs')!.rows
    await quiet.close()

    const back = await SyncClient.connect(star, {
      clientGroupId: quiet.clientGroupId,
      clientId: quiet.clientId,
    })
    const poke = await back.subscribe('xs', 'entities', X, { cookie: now, rows })
    expect(truncated(poke, 'xs')).toBe(false)
    expect(poke.parts).toEqual([{ type: 'pokePart', pokeId: poke.pokeId, subId: 'xs', puts: [], dels: [] }])
    await expectConverged(star, back, 'xs', X)
  })

  it('brings a node moved into a subscribed subtree in with everything attached under it, and takes it out again', async () => {
    const star = freshStar()
    const root = await rpc(star, 'orgTree.root')
    const addNode = (parent: string, slug: string) =>
      rpc(star, 'orgTree.addNode', { parent, slug, name: slug.toUpperCase() })
    const a = await addNode(root.id, 'a')
    const b = await addNode(root.id, 'b')
    const c = await addNode(b.id, 'c')
    const d = await addNode(c.id, 'd')
    const [d1, d2, d3, d4] = await createDocs(star, [
      { kind: 'x', nodes: [c.id] },
      { kind: 'y', nodes: [d.id] },
      { kind: 'x', nodes: [b.id] },
      { kind: 'y', nodes: [a.id] },
    ])
    const task = await rpc(star, 'upsert', { type: 'Task', value: { title: 'under d', nodes: [d.id] } })
    const shapes = {
      docsA: ['entities', { type: 'Doc', under: a.id }, { type: 'Doc', under: a.id }],
      allA: ['entities', { under: a.id }, { under: a.id }],
      treeA: ['orgTree', { root: a.id }, { type: 'OrgNode', under: a.id }],
      xsA: ['entities', { type: 'Doc', under: a.id, where: { kind: 'x' } }, { ...X, under: a.id }],
    } as const
    const subIds = Object.keys(shapes) as Array<keyof typeof shapes>
    const live = await SyncClient.connect(star)
    for (const subId of subIds) await live.subscribe(subId, shapes[subId][0], shapes[subId][1])
    expect(live.rows('docsA').map((r) => r.id)).toEqual([d4])
    const converged = async (client: SyncClient) => {
      for (const subId of subIds) await expectConverged(star, client, subId, shapes[subId][2])
    }
    await converged(live)

    // Live: move c (with d, d1, d2 and the task) under a, then back under b.
    const moveIn = async () => rpc(star, 'orgTree.move', { node: c.id, from: b.id, to: a.id })
    const moveOut = async () => rpc(star, 'orgTree.move', { node: c.id, from: a.id, to: b.id })
    let pokes = live.pokes.length
    await moveIn()
    await live.waitForCookie(await seq(star))
    expect(live.pokes).toHaveLength(pokes + 1)
    let poke = live.pokes.at(-1)!
    expect(putIds(poke, 'docsA')).toEqual(sorted([d1!, d2!]))
    expect(putIds(poke, 'allA')).toEqual(sorted([a.id, c.id, d.id, d1!, d2!, task.id]))
    expect(putIds(poke, 'treeA')).toEqual(sorted([a.id, c.id, d.id]))
    expect(putIds(poke, 'xsA')).toEqual([d1!])
    expect(subIds.flatMap((s) => delIds(poke, s))).toEqual([])
    await converged(live)

    pokes = live.pokes.length
    await moveOut()
    await live.waitForCookie(await seq(star))
    expect(live.pokes).toHaveLength(pokes + 1)
    poke = live.pokes.at(-1)!
    expect(delIds(poke, 'docsA')).toEqual(sorted([d1!, d2!]))
    expect(delIds(poke, 'allA')).toEqual(sorted([c.id, d.id, d1!, d2!, task.id]))
    expect(putIds(poke, 'allA')).toEqual([a.id])
    expect(delIds(poke, 'treeA')).toEqual(sorted([c.id, d.id]))
    expect(delIds(poke, 'xsA')).toEqual([d1!])
    await converged(live)

    // A second parent under a brings d (and d2, the task) in; removing that edge takes them out.
    await rpc(star, 'orgTree.addEdge', { parent: a.id, child: d.id })
    await live.waitForCookie(await seq(star))
    expect(putIds(live.pokes.at(-1)!, 'docsA')).toEqual([d2!])
    await converged(live)
    await rpc(star, 'orgTree.removeEdge', { parent: a.id, child: d.id })
    await live.waitForCookie(await seq(star))
    expect(delIds(live.pokes.at(-1)!, 'docsA')).toEqual([d2!])
    await converged(live)
    expect(live.rows('docsA').map((r) => r.id)).toEqual([d4])
    expect(live.rows('docsA').some((r) => r.id === d3)).toBe(false)
    expect(live.violations).toEqual([])

    // Via resume: disconnected while c moves in, then while it moves out.
    let replicas = new Map(subIds.map((s) => [s, { cookie: live.subs.get(s)!.cookie, rows: live.rows(s) }]))
    await live.close()
    for (const [move, expectPut] of [
      [moveIn, true],
      [moveOut, false],
    ] as const) {
      await move()
      const client = await SyncClient.connect(star)
      for (const subId of subIds) {
        const old = replicas.get(subId)!
        const resumed = await client.subscribe(subId, shapes[subId][0], shapes[subId][1], {
          cookie: old.cookie,
          rows: new Map(old.rows.map((r) => [r.id, r])),
        })
        expect(truncated(resumed, subId)).toBe(false)
        if (subId === 'docsA') {
          expect(expectPut ? putIds(resumed, subId) : delIds(resumed, subId)).toEqual(sorted([d1!, d2!]))
          expect(expectPut ? delIds(resumed, subId) : putIds(resumed, subId)).toEqual([])
        }
      }
      await converged(client)
      expect(client.violations).toEqual([])
      replicas = new Map(subIds.map((s) => [s, { cookie: client.subs.get(s)!.cookie, rows: client.rows(s) }]))
      await client.close()
    }
  })
})
