// Why the predicate reads numbers as SQLite does (protocol's sqliteNumber): seeds are SQL, pokes are
// the JS predicate, and a subscriber must see what a fresh `query` returns. SQLite reads
// 1.4325155400161912e-90 and its neighbour 1.432515540016191e-90 as one double; a predicate on JS
// doubles would tell them apart, and a poke would drop a row that `query` keeps.
import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { freshStar } from './helpers'
import { rpc } from './rpc-client'
import { SyncClient } from './sync-client'

const N = 1.432515540016191e-90
const NEIGHBOUR = 1.4325155400161912e-90

describe('numbers SQLite reads off by an ulp', () => {
  it('keep a subscription equal to a fresh query through seeds and pokes', async () => {
    const star = freshStar()
    const shape = { type: 'Doc', where: { a: N } }
    const [first, second, third] = [randomUUID(), randomUUID(), randomUUID()]
    await rpc(star, 'transaction', {
      ops: [
        { op: 'upsert', id: first, type: 'Doc', value: { a: N } },
        { op: 'upsert', id: second, type: 'Doc', value: { a: NEIGHBOUR } },
      ],
    })
    const client = await SyncClient.connect(star)
    await client.subscribe('n', 'entities', shape)
    // Every write pokes this socket through 'all', so its cookie moves whatever 'n' decides.
    await client.subscribe('all', 'entities', { type: 'Doc' })
    const expected = async () => (await rpc(star, 'query', shape)).entities.map((e) => e.id).sort()
    expect(await expected()).toEqual([first, second].sort())
    expect(client.rows('n').map((r) => r.id)).toEqual(await expected())

    // A write to the neighbour, and a new one: membership decided by the predicate, agreeing with SQL.
    await rpc(star, 'patch', { id: second, value: { note: 'touched' } })
    await rpc(star, 'upsert', { id: third, type: 'Doc', value: { a: NEIGHBOUR } })
    const seq = (await rpc(star, 'star.health')).seq
    await client.waitForCookie(seq)
    expect(client.rows('n').map((r) => r.id)).toEqual(await expected())
    expect(client.rows('n')).toHaveLength(3)
    await client.close()
  })
})
