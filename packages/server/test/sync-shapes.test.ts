// A custom shape end to end: the demo's `taskBoard` (a params schema, a subtree, a filter and a
// `fields` projection) through subscribe, seed, pokes and resume; bad params are refused.
import { randomUUID } from 'node:crypto'
import { ErrorKind } from '@lumenize/protocol'
import { describe, expect, it } from 'vitest'
import { freshStar } from './helpers'
import { rpc } from './rpc-client'
import { type AppliedPoke, SyncClient, SyncErrorFrame } from './sync-client'

/** A value no board card carries: it must never reach a subscriber of the board. */
const SECRET = 'never-on-the-board'

async function board(star: string) {
  const root = await rpc(star, 'orgTree.root')
  const team = await rpc(star, 'orgTree.addNode', { parent: root.id, slug: 'team', name: 'Team' })
  const other = await rpc(star, 'orgTree.addNode', { parent: root.id, slug: 'other', name: 'Other' })
  const task = async (title: string, status: string, node: string) =>
    (
      await rpc(star, 'upsert', {
        id: randomUUID(),
        type: 'Task',
        value: { title, status, priority: 3, nodes: [node], note: SECRET },
      })
    ).id
  return { root, team, other, task }
}

const values = (client: SyncClient, subId: string) => client.rows(subId).map((r) => r.value)
const partsOf = (poke: AppliedPoke, subId: string) => poke.parts.filter((p) => p.subId === subId)

describe('a custom shape with params and a projection', () => {
  it('seeds, pokes and resumes only its rows, with only its fields', async () => {
    const star = freshStar()
    const { team, other, task } = await board(star)
    const a = await task('write docs', 'todo', team.id)
    await task('ship', 'done', team.id)
    await task('elsewhere', 'todo', other.id)
    const client = await SyncClient.connect(star)
    const seed = await client.subscribe('todo', 'taskBoard', { node: team.id, status: 'todo' })
    expect(partsOf(seed, 'todo')[0]?.truncate).toBe(true)
    expect(values(client, 'todo')).toEqual([{ title: 'write docs', status: 'todo' }])

    // A new task on the board is put, projected; one that leaves the filter or the subtree is deleted.
    const b = await task('review', 'todo', team.id)
    await client.waitFor('the new task', () => client.rows('todo').some((r) => r.id === b))
    await rpc(star, 'patch', { id: a, value: { status: 'done' } })
    await client.waitFor('a done task to leave', () => !client.rows('todo').some((r) => r.id === a))
    await rpc(star, 'patch', { id: b, value: { nodes: [other.id] } })
    await client.waitFor('a moved task to leave', () => client.rows('todo').length === 0)

    // Resuming from a cookie replays the gap, projected too.
    const cookie = client.cookie
    await client.close()
    const c = await task('after the gap', 'todo', team.id)
    const again = await SyncClient.connect(star, { clientGroupId: client.clientGroupId })
    const resumed = await again.subscribe(
      'todo',
      'taskBoard',
      { node: team.id, status: 'todo' },
      {
        cookie,
        rows: new Map(),
      },
    )
    expect(partsOf(resumed, 'todo').some((p) => p.truncate)).toBe(false)
    expect(partsOf(resumed, 'todo').flatMap((p) => p.puts.map((r) => r.id))).toContain(c)
    expect(values(again, 'todo')).toEqual([{ title: 'after the gap', status: 'todo' }])

    // Projected fields never travelled, on either socket.
    for (const socket of [client.socket, again.socket])
      expect(JSON.stringify(socket.frames)).not.toContain(SECRET)
    expect(JSON.stringify(client.socket.frames)).not.toContain('"priority"')
    await again.close()
  })

  it('refuses params its schema refuses with INVALID_PARAMS, naming the subscription', async () => {
    const star = freshStar()
    const { team } = await board(star)
    const client = await SyncClient.connect(star)
    for (const params of [
      {},
      { node: 'not-a-uuid' },
      { node: team.id, status: 'later' },
      { node: team.id, x: 1 },
    ]) {
      const refused = await client.subscribe('bad', 'taskBoard', params).catch((e: unknown) => e)
      expect(refused).toBeInstanceOf(SyncErrorFrame)
      const frame = (refused as SyncErrorFrame).frame
      expect(frame.kind).toBe(ErrorKind.invalidParams)
      expect(frame.details).toMatchObject({ shape: 'taskBoard', subId: 'bad' })
    }
    // The socket is still fine for a good subscription.
    await client.subscribe('ok', 'taskBoard', { node: team.id })
    expect(client.rows('ok')).toEqual([])
    await client.close()
  })
})
