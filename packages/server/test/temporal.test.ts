// Temporal snapshots on workerd: continuous history, as-of reads at every boundary, as-of queries and changes.
import { randomUUID } from 'node:crypto'
import { END_OF_TIME, type EntitySnapshot, type JsonObject, type JsonValue } from '@lumenize/protocol'
import { describe, expect, it } from 'vitest'
import { freshStar, mulberry32 } from './helpers'
import { type RpcParams, type RpcResults, rpc, rpcAll, rpcError, sleep } from './rpc-client'

const isObject = (v: JsonValue | undefined): v is JsonObject =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

/** RFC 7386, written independently of the server's, to predict every version's value. */
function mergePatch(target: JsonObject, patch: JsonObject): JsonObject {
  const out: JsonObject = { ...target }
  for (const [key, p] of Object.entries(patch)) {
    if (p === null) delete out[key]
    else if (isObject(p)) out[key] = mergePatch(isObject(out[key]) ? out[key] : {}, p)
    else out[key] = p
  }
  return out
}

/** The live snapshot valid at instant t according to a history (null before creation or once deleted). */
function expectedAt(history: readonly EntitySnapshot[], t: number): EntitySnapshot | null {
  const s = history.find((h) => h.validFrom <= t && t < h.validTo)
  return s && !s.deleted ? s : null
}

type WriteOp =
  | { op: 'upsert'; id: string; type: string; value: JsonObject }
  | { op: 'patch'; id: string; value: JsonObject }
  | { op: 'delete'; id: string }

/**
 * Writes one Doc `target` times (upserts, patches, and transactions of several writes that share
 * an instant; sometimes after a short real delay), then deletes it. Returns every snapshot the
 * server answered, in version order, and the value each version must hold.
 */
async function writeLongHistory(
  star: string,
  id: string,
  target: number,
): Promise<{ written: EntitySnapshot[]; values: JsonObject[]; transactions: number[][] }> {
  const rand = mulberry32(20261123)
  const written: EntitySnapshot[] = []
  const values: JsonObject[] = []
  const transactions: number[][] = []
  let value: JsonObject = {}
  const nextOp = (n: number): WriteOp => {
    if (n === 1 || rand() < 0.3) {
      value = { kind: 'note', n, text: `full rewrite ${n}`, meta: { by: 'test', round: n % 4 } }
      return { op: 'upsert', id, type: 'Doc', value }
    }
    const patch: JsonObject = {
      n,
      [`k${n % 5}`]: n % 3 === 0 ? null : n,
      meta: { round: n % 4, [`m${n % 3}`]: n },
    }
    if (n % 7 === 0) patch.text = null
    value = mergePatch(value, patch)
    return { op: 'patch', id, value: patch }
  }
  while (written.length < target) {
    const n = written.length + 1
    const r = rand()
    if (r < 0.35 && n > 1) {
      const size = Math.min(2 + Math.floor(rand() * 3), target - written.length)
      const ops: WriteOp[] = []
      const expectedValues: JsonObject[] = []
      for (let i = 0; i < size; i++) {
        ops.push(nextOp(n + i))
        expectedValues.push(value)
      }
      const { snapshots } = await rpc(star, 'transaction', { ops })
      transactions.push(snapshots.map((s) => s.version))
      written.push(...snapshots)
      values.push(...expectedValues)
    } else {
      const op = nextOp(n)
      const { op: method, ...params } = op
      written.push(await rpc(star, method, params))
      values.push(value)
    }
    if (rand() < 0.45) await sleep(1 + Math.floor(rand() * 3))
  }
  await sleep(2)
  written.push(await rpc(star, 'delete', { id }))
  values.push(value)
  return { written, values, transactions }
}

describe('temporal continuity of one entity', () => {
  it('keeps every version of a 60-write history, touching end to end, ending in a tombstone', async () => {
    const star = freshStar()
    const id = randomUUID()
    const { written, values, transactions } = await writeLongHistory(star, id, 60)
    const n = written.length
    expect(n).toBe(61)
    // Every answer carried the next version and the predicted value (merge patches included).
    written.forEach((s, i) => {
      expect(s.version).toBe(i + 1)
      expect(s.value).toEqual(values[i])
    })

    const history = await rpc(star, 'history', { id })
    expect(history.map((h) => h.version)).toEqual(Array.from({ length: n }, (_, i) => i + 1))
    for (let i = 0; i < n; i++) {
      const h = history[i]!
      expect(h.id).toBe(id)
      expect(h.type).toBe('Doc')
      expect(h.value).toEqual(values[i])
      // Each snapshot is what the write answered, closed by the next write's instant.
      expect(h).toEqual({ ...written[i], validTo: history[i + 1]?.validFrom ?? END_OF_TIME })
      expect(h.validTo).toBeGreaterThanOrEqual(h.validFrom)
      if (i + 1 < n) {
        expect(h.validTo).toBe(history[i + 1]!.validFrom)
        expect(history[i + 1]!.validFrom).toBeGreaterThanOrEqual(h.validFrom)
      }
      expect(h.deleted).toBe(i === n - 1)
    }
    const last = history[n - 1]!
    expect(last.deleted).toBe(true)
    expect(last.validTo).toBe(END_OF_TIME)
    expect(last.value).toEqual(values[n - 2])

    // Writes of one transaction share one instant: all but the last of them hold an empty interval.
    expect(transactions.length).toBeGreaterThan(0)
    for (const versions of transactions) {
      const snaps = versions.map((v) => history[v - 1]!)
      expect(new Set(snaps.map((s) => s.validFrom)).size).toBe(1)
      for (const s of snaps.slice(0, -1)) expect(s.validTo).toBe(s.validFrom)
    }
    // Real delays made real intervals too.
    expect(new Set(history.map((h) => h.validFrom)).size).toBeGreaterThan(10)

    // Gone now, but history keeps it; a window from the tombstone on holds only the tombstone.
    expect(await rpc(star, 'get', { id })).toBeNull()
    expect(await rpc(star, 'history', { id, from: last.validFrom })).toEqual([last])
    const patchGone = await rpcError(star, 'patch', { id, value: { n: 0 } })
    expect(patchGone.code).toBe(1002)
    expect(patchGone.details).toMatchObject({ kind: 'NOT_FOUND', id })
  })

  it('reads every version as of its first instant, its last instant and the instant before it', async () => {
    const star = freshStar()
    const id = randomUUID()
    await writeLongHistory(star, id, 60)
    const history = await rpc(star, 'history', { id })
    const tomb = history[history.length - 1]!

    const instants = new Set<number>()
    for (const s of history) {
      instants.add(s.validFrom)
      instants.add(s.validFrom - 1)
      if (s.validTo !== END_OF_TIME) instants.add(s.validTo - 1)
    }
    instants.add(tomb.validFrom + 1)
    instants.add(tomb.validFrom + 86_400_000)
    instants.add(END_OF_TIME - 1)
    const list = [...instants].sort((a, b) => a - b)
    const got = (await rpcAll(
      star,
      list.map((asOf) => ['get', { id, asOf }] as const),
    )) as Array<RpcResults['get']>
    list.forEach((t, i) => {
      expect({ t, got: got[i] }).toEqual({ t, got: expectedAt(history, t) })
    })

    // The explicit boundary rules, for every version with a non-empty interval.
    const live = history.filter((s) => !s.deleted && s.validTo > s.validFrom)
    expect(live.length).toBeGreaterThan(10)
    const byInstant = new Map(list.map((t, i) => [t, got[i] ?? null]))
    live.forEach((s) => {
      expect(byInstant.get(s.validFrom)).toEqual(s)
      expect(byInstant.get(s.validTo - 1)).toEqual(s)
      const before = byInstant.get(s.validFrom - 1)
      if (s === live[0]) expect(before).toBeNull()
      else expect(before?.version).toBeLessThan(s.version)
    })
    const lastLive = live[live.length - 1]!
    expect(byInstant.get(tomb.validFrom - 1)).toEqual(lastLive)
    expect(byInstant.get(tomb.validFrom)).toBeNull()
    expect(byInstant.get(END_OF_TIME - 1)).toBeNull()

    // ISO-8601 instants read the same as epoch milliseconds.
    const iso = (t: number): string => new Date(t).toISOString()
    const withOffset = (t: number): string => {
      // The same instant written in UTC+02:00, e.g. 2026-11-23T12:00:00.123+02:00.
      const local = new Date(t + 2 * 3_600_000).toISOString().replace('Z', '+02:00')
      return local
    }
    for (const s of [live[0]!, live[Math.floor(live.length / 2)]!, lastLive]) {
      expect(await rpc(star, 'get', { id, asOf: iso(s.validFrom) })).toEqual(s)
      expect(await rpc(star, 'get', { id, asOf: withOffset(s.validTo - 1) })).toEqual(s)
      expect(await rpc(star, 'get', [id, iso(s.validFrom)])).toEqual(s)
    }
    expect(await rpc(star, 'get', { id, asOf: iso(live[0]!.validFrom - 1) })).toBeNull()
    expect(await rpc(star, 'get', { id, asOf: iso(tomb.validFrom) })).toBeNull()
    // Whole seconds without a fraction are instants too.
    const second = Math.floor(lastLive.validFrom / 1000) * 1000
    expect(
      await rpc(star, 'get', { id, asOf: new Date(second).toISOString().replace('.000Z', 'Z') }),
    ).toEqual(expectedAt(history, second))
    // History windows take ISO instants as well.
    expect(await rpc(star, 'history', { id, from: iso(tomb.validFrom) })).toEqual([tomb])
  })
})

describe('as-of queries and the change feed', () => {
  /** Writes a small, staggered life of several Docs (and a Person, which a Doc query must not return). */
  async function writeLives(star: string) {
    const [a, b, c, d, e] = Array.from({ length: 5 }, () => randomUUID())
    const p = randomUUID()
    const steps: Array<readonly [keyof RpcResults, RpcParams]> = [
      ['upsert', { id: a, type: 'Doc', value: { kind: 'note', title: 'a1' } }],
      ['upsert', { id: b, type: 'Doc', value: { kind: 'memo', title: 'b1' } }],
      ['upsert', { id: p, type: 'Person', value: { name: 'Pat', email: 'pat@example.com' } }],
      ['patch', { id: a, value: { title: 'a2' } }],
      ['upsert', { id: c, type: 'Doc', value: { kind: 'note', title: 'c1' } }],
      [
        'transaction',
        {
          ops: [
            { op: 'delete', id: b },
            { op: 'upsert', id: d, type: 'Doc', value: { kind: 'note', title: 'd1' } },
            { op: 'patch', id: c, value: { title: 'c2' } },
            { op: 'patch', id: c, value: { title: 'c3' } },
          ],
        },
      ],
      ['patch', { id: p, value: { name: 'Patricia' } }],
      ['delete', { id: a }],
      ['upsert', { id: e, type: 'Doc', value: { kind: 'memo', title: 'e1' } }],
      ['upsert', { id: b, type: 'Doc', value: { kind: 'memo', title: 'b again' } }],
      ['patch', { id: d, value: { title: 'd2', kind: null } }],
    ]
    const writes: EntitySnapshot[] = []
    for (const [method, params] of steps) {
      const result = await rpc(star, method, params)
      if (method === 'transaction') writes.push(...(result as RpcResults['transaction']).snapshots)
      else writes.push(result as EntitySnapshot)
      await sleep(3)
    }
    return { docs: [a, b, c, d, e] as string[], person: p, writes }
  }

  it('answers query({ type, asOf }) with the set of that type as it was at each instant', async () => {
    const star = freshStar()
    const { docs, person, writes } = await writeLives(star)
    const histories = new Map<string, EntitySnapshot[]>()
    for (const id of docs) histories.set(id, await rpc(star, 'history', { id }))

    const instants = [...new Set(writes.flatMap((w) => [w.validFrom - 1, w.validFrom]))].sort((x, y) => x - y)
    const answers = (await rpcAll(
      star,
      instants.map((asOf) => ['query', { type: 'Doc', asOf }] as const),
    )) as Array<RpcResults['query']>
    instants.forEach((t, i) => {
      const expected = docs
        .map((id) => expectedAt(histories.get(id)!, t))
        .filter((s): s is EntitySnapshot => s !== null)
        .sort((x, y) => (x.id < y.id ? -1 : 1))
      expect({ t, entities: answers[i]!.entities }).toEqual({ t, entities: expected })
      expect(answers[i]!.hasMore).toBe(false)
    })
    // Some instants saw several Docs, one saw none (before the first write).
    expect(answers[0]!.entities).toEqual([])
    expect(Math.max(...answers.map((a) => a.entities.length))).toBeGreaterThanOrEqual(3)

    // Now: the current Docs only (a deleted, b re-created), and never the Person.
    const now = await rpc(star, 'query', { type: 'Doc' })
    const currentIds = now.entities.map((s) => s.id)
    expect(currentIds).toEqual([docs[1]!, docs[2]!, docs[3]!, docs[4]!].sort())
    expect(currentIds).not.toContain(person)
    const bNow = now.entities.find((s) => s.id === docs[1])!
    expect(bNow.version).toBe(3)
    expect(bNow.value).toEqual({ kind: 'memo', title: 'b again' })
    // A filter applies as of the instant too: d lost its kind only in its last version.
    const dBefore = writes.find((w) => w.id === docs[3] && w.version === 1)!
    const notes = await rpc(star, 'query', { type: 'Doc', where: { kind: 'note' }, asOf: dBefore.validFrom })
    expect(notes.entities.map((s) => s.id).sort()).toEqual([docs[0]!, docs[2]!, docs[3]!].sort())
  })

  it('answers changes({ from, to }) with exactly the writes of that window, in commit order', async () => {
    const star = freshStar()
    const root = await rpc(star, 'orgTree.root')
    const { writes } = await writeLives(star)
    const histories = new Map<string, EntitySnapshot[]>()
    for (const w of writes)
      if (!histories.has(w.id)) histories.set(w.id, await rpc(star, 'history', { id: w.id }))
    // What each write looks like now (closed by later writes).
    const stored = writes.map((w) => histories.get(w.id)!.find((h) => h.version === w.version)!)
    const all = [root, ...stored]
    const key = (s: EntitySnapshot) => `${s.id}@${s.version}`

    const everything = await rpc(star, 'changes', { from: 0 })
    expect(everything.hasMore).toBe(false)
    expect(everything.changes.map((c) => key(c.entity))).toEqual(all.map(key))
    expect(everything.changes.map((c) => c.entity)).toEqual(all)
    const seqs = everything.changes.map((c) => c.seq)
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y))
    expect(new Set(seqs).size).toBe(seqs.length)
    for (const c of everything.changes) {
      expect(c.at).toBe(c.entity.validFrom)
      expect(c.op === 'delete').toBe(c.entity.deleted)
    }
    const ops = everything.changes.slice(1).map((c) => c.op)
    expect(ops).toEqual([
      'upsert',
      'upsert',
      'upsert',
      'patch',
      'upsert',
      'delete',
      'upsert',
      'patch',
      'patch',
      'patch',
      'delete',
      'upsert',
      'upsert',
      'patch',
    ])

    const windows: Array<[number, number | undefined]> = [
      [writes[3]!.validFrom, writes[9]!.validFrom],
      [writes[5]!.validFrom, writes[9]!.validFrom], // exactly the transaction of four writes
      [writes[5]!.validFrom + 1, writes[9]!.validFrom + 1],
      [writes[8]!.validFrom, undefined],
      [writes[0]!.validFrom - 1, writes[0]!.validFrom],
      [writes[writes.length - 1]!.validFrom + 1, undefined],
    ]
    for (const [from, to] of windows) {
      const got = await rpc(star, 'changes', to === undefined ? { from } : { from, to })
      const expected = all.filter((s) => s.validFrom >= from && (to === undefined || s.validFrom < to))
      expect({ from, to, got: got.changes.map((c) => key(c.entity)) }).toEqual({
        from,
        to,
        got: expected.map(key),
      })
      expect(got.changes.map((c) => c.entity)).toEqual(expected)
    }
    const tx = await rpc(star, 'changes', { from: writes[5]!.validFrom, to: writes[9]!.validFrom })
    expect(tx.changes).toHaveLength(4)
    expect(new Set(tx.changes.map((c) => c.at)).size).toBe(1)
    // ISO instants bound the window the same way.
    const iso = await rpc(star, 'changes', {
      from: new Date(writes[5]!.validFrom).toISOString(),
      to: new Date(writes[9]!.validFrom).toISOString(),
    })
    expect(iso.changes).toEqual(tx.changes)

    // A limit cuts the feed in commit order and says there is more.
    const firstThree = await rpc(star, 'changes', { from: 0, limit: 3 })
    expect(firstThree.hasMore).toBe(true)
    expect(firstThree.changes).toEqual(everything.changes.slice(0, 3))
    const exact = await rpc(star, 'changes', { from: 0, limit: all.length })
    expect(exact.hasMore).toBe(false)
    expect(exact.changes).toHaveLength(all.length)
  })
})
