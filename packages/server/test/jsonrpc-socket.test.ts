// JSON-RPC frames on the sync WebSocket, and bad input that must never corrupt the store.
import { randomUUID } from 'node:crypto'
import type { EntitySnapshot } from '@lumenize/protocol'
import { describe, expect, it } from 'vitest'
import { freshStar, openSocket } from './helpers'
import { body, bodyOfSize, call, invalidRequest, MAX_BODY, methodNotFound, seedDoc } from './jsonrpc-helpers'
import { type RpcParams, type RpcResults, rpc, rpcError, rpcRaw, storeState } from './rpc-client'

describe('JSON-RPC over the sync WebSocket', () => {
  it('answers a request frame and a batch frame, and sends nothing for a notification', async () => {
    const star = freshStar()
    const ws = await openSocket(`/stars/${star}/sync`)
    try {
      const id = randomUUID()
      ws.send(call('upsert', { id, type: 'Doc', value: { kind: 'socket' } }, 1))
      const created = await ws.next<{ id: number; result: EntitySnapshot }>((f) => f.id === 1)
      expect(created).toMatchObject({
        jsonrpc: '2.0',
        id: 1,
        result: { id, version: 1, value: { kind: 'socket' } },
      })

      ws.send([call('get', [id], 'g'), call('nope', undefined, 'n'), call('patch', [id, { via: 'batch' }])])
      const batch = await ws.next<unknown[]>((f) => Array.isArray(f))
      const afterPatch = await rpc(star, 'get', { id })
      expect(afterPatch?.value).toEqual({ kind: 'socket', via: 'batch' })
      expect(batch).toEqual([{ jsonrpc: '2.0', result: created.result, id: 'g' }, methodNotFound('n')])

      ws.send(call('patch', [id, { quiet: true }]))
      ws.send(call('get', { id }, 2))
      const got = await ws.next<{ id: number; result: EntitySnapshot }>((f) => f.id === 2)
      expect(got.result.value).toEqual({ kind: 'socket', via: 'batch', quiet: true })
      // Three answers in all: nothing was sent for either notification.
      expect(ws.frames).toHaveLength(3)

      ws.send('[]')
      expect(await ws.next()).toEqual(invalidRequest)
      ws.send(call('get', { id: 5 }, 3))
      expect(await ws.next()).toMatchObject({
        id: 3,
        error: { code: -32602, data: { kind: 'VALIDATION_FAILED' } },
      })
      expect(ws.closed).toBeUndefined()
    } finally {
      await ws.close()
    }
  })
})

describe('bad input never corrupts the store', () => {
  it('leaves every entity, its history and the op-log seq exactly as they were after a barrage', async () => {
    const star = freshStar()
    const root = await rpc(star, 'orgTree.root')
    const team = await rpc(star, 'orgTree.addNode', { parent: root.id, slug: 'team', name: 'Team' })
    const sub = await rpc(star, 'orgTree.addNode', { parent: team.id, slug: 'sub', name: 'Sub' })
    const ann = await rpc(star, 'upsert', {
      type: 'Person',
      value: { name: 'Ann', email: 'ann@example.com' },
    })
    const bob = await rpc(star, 'upsert', {
      type: 'Person',
      value: { name: 'Bob', email: 'bob@example.com' },
    })
    const task = await rpc(star, 'upsert', {
      type: 'Task',
      value: { title: 'Do it', status: 'todo', assignee: ann.id, nodes: [sub.id] },
    })
    const doc = await seedDoc(star)
    await rpc(star, 'patch', { id: doc.id, value: { text: 'v2' } })
    const all = [root.id, team.id, sub.id, ann.id, bob.id, task.id, doc.id]
    const read = async () => {
      const out: Array<{ now: EntitySnapshot | null; versions: number }> = []
      for (const id of all) {
        out.push({
          now: await rpc(star, 'get', { id }),
          versions: (await rpc(star, 'history', { id })).length,
        })
      }
      return { entities: out, store: await storeState(star) }
    }
    const before = await read()

    const raw = [
      '{',
      '',
      'null',
      '[{"jsonrpc":"2.0"',
      '{"jsonrpc":"2.0","method":"upsert","params":{"type":"Doc","value":{}},"id":1',
      body({ jsonrpc: '1.0', method: 'upsert', params: { type: 'Doc', value: {} }, id: 1 }),
      body({ jsonrpc: '2.0', method: 'upsert', params: { type: 'Doc', value: {} }, id: 1, extra: 1 }),
      body({ jsonrpc: '2.0', method: 'upsert', params: 'Doc', id: 1 }),
      body(call('drop', { id: doc.id }, 1)),
      body(call('delete', { id: doc.id, force: true }, 1)),
      body(call('patch', { id: doc.id, value: ['not', 'an', 'object'] }, 1)),
      body(
        call('transaction', { ops: [{ op: 'patch', id: doc.id, value: { text: 'x' } }, { op: 'nuke' }] }, 1),
      ),
      '{"jsonrpc":"2.0","method":"upsert","params":{"__proto__":{"type":"Doc"},"value":{}},"id":1}',
      body([call('patch', [doc.id, { text: 'x' }, 1], 1), call('delete', [ann.id], 2), 7]),
      body(Array.from({ length: 101 }, (_, i) => call('upsert', { type: 'Doc', value: { i } }, i))),
      bodyOfSize(MAX_BODY + 10, doc.id),
    ]
    for (const text of raw) await rpcRaw(star, text)

    const failing: Array<[keyof RpcResults, RpcParams, number]> = [
      ['patch', { id: doc.id, value: { text: 'stale' }, ifMatch: 1 }, 1003],
      ['delete', { id: doc.id, ifMatch: 1 }, 1003],
      ['upsert', { id: doc.id, type: 'Doc', value: {}, ifMatch: 0 }, 1003],
      [
        'transaction',
        {
          ops: [
            { op: 'upsert', type: 'Doc', value: { kind: 'new' } },
            { op: 'patch', id: task.id, value: { status: 'done' } },
            { op: 'patch', id: doc.id, value: { text: 'x' }, ifMatch: 1 },
          ],
        },
        1003,
      ],
      ['upsert', { type: 'Person', value: { name: 'Eve', email: 'nope' } }, 1001],
      ['patch', { id: task.id, value: { status: 'later' } }, 1001],
      ['patch', { id: bob.id, value: { email: 'ann@example.com' } }, 1004],
      ['patch', { id: task.id, value: { assignee: doc.id } }, 1005],
      ['delete', { id: ann.id }, 1006],
      ['upsert', { type: 'Ghost', value: {} }, 1007],
      ['upsert', { id: ann.id, type: 'Doc', value: {} }, 1008],
      ['orgTree.addEdge', { parent: sub.id, child: team.id }, 1009],
      ['orgTree.removeEdge', { parent: team.id, child: sub.id }, 1010],
      ['orgTree.addEdge', { parent: sub.id, child: randomUUID() }, 1011],
      ['orgTree.deleteNode', { id: team.id }, 1012],
      ['orgTree.deleteNode', { id: root.id }, 1013],
      ['upsert', { type: 'Doc', value: { s: 'x'.repeat(300_000) } }, 1014],
      ['query', { type: 'Doc', where: { $or: 1 } }, -32602],
      ['patch', { id: randomUUID(), value: {} }, 1002],
    ]
    for (const [method, params, code] of failing) {
      expect({ method, code: (await rpcError(star, method, params)).code }).toEqual({ method, code })
    }
    // The same failures as notifications and inside batches.
    await rpcRaw(star, body(failing.map(([method, params]) => call(method, params))))
    await rpcRaw(star, body(failing.map(([method, params], i) => call(method, params, i))))
    // And over the socket.
    const ws = await openSocket(`/stars/${star}/sync`)
    ws.send(failing.map(([method, params], i) => call(method, params, i)))
    const answers = await ws.next<Array<{ error?: { code: number } }>>((f) => Array.isArray(f))
    expect(answers.map((a) => a.error?.code)).toEqual(failing.map(([, , code]) => code))
    ws.send('{"jsonrpc":"2.0","method":')
    await ws.next()
    await ws.close()

    expect(await read()).toEqual(before)
  })
})
