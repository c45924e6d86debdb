// JSON-RPC 2.0 over HTTP and the sync socket on workerd: the spec's section 7 examples, errors, limits, bad input.
import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { freshStar, serverUrl } from './helpers'
import {
  body,
  bodyOfSize,
  call,
  invalidRequest,
  MAX_BODY,
  methodNotFound,
  parseError,
  seedDoc,
} from './jsonrpc-helpers'
import { type RpcParams, type RpcResults, rpc, rpcBatch, rpcError, rpcRaw, storeState } from './rpc-client'

describe('the JSON-RPC 2.0 specification examples, on this server', () => {
  it('answers a call with positional params and one with named params', async () => {
    const star = freshStar()
    const doc = await seedDoc(star)
    const positional = await rpcRaw(star, body(call('get', [doc.id], 1)))
    expect(positional).toEqual({ status: 200, json: { jsonrpc: '2.0', result: doc, id: 1 } })
    const twoPositional = await rpcRaw(star, body(call('get', [doc.id, doc.validFrom - 1], 2)))
    expect(twoPositional.json).toEqual({ jsonrpc: '2.0', result: null, id: 2 })
    const named = await rpcRaw(star, body(call('get', { id: doc.id }, 3)))
    expect(named).toEqual({ status: 200, json: { jsonrpc: '2.0', result: doc, id: 3 } })
    const namedAsOf = await rpcRaw(star, body(call('get', { asOf: doc.validFrom, id: doc.id }, 4)))
    expect(namedAsOf.json).toEqual({ jsonrpc: '2.0', result: doc, id: 4 })
    // Positional upsert (id, type, value) and patch (id, value, ifMatch); string ids come back as sent.
    const id = randomUUID()
    const up = await rpcRaw(star, body(call('upsert', [id, 'Doc', { kind: 'positional' }], 'up-1')))
    expect(up.json).toMatchObject({ jsonrpc: '2.0', id: 'up-1', result: { id, version: 1 } })
    const patched = await rpcRaw(star, body(call('patch', [id, { more: true }, 1], 'p')))
    expect(patched.json).toMatchObject({
      id: 'p',
      result: { version: 2, value: { kind: 'positional', more: true } },
    })
    // A method without params.
    const health = await rpcRaw(star, body(call('star.health', undefined, 5)))
    expect(health.json).toMatchObject({ jsonrpc: '2.0', id: 5, result: { star, sockets: 0 } })
  })

  it('does not answer a notification (HTTP 204, empty body) but does what it asks', async () => {
    const star = freshStar()
    const id = randomUUID()
    const res = await fetch(`${serverUrl()}/stars/${star}/rpc`, {
      method: 'POST',
      body: body(call('upsert', { id, type: 'Doc', value: { kind: 'notified' } })),
    })
    expect(res.status).toBe(204)
    expect(await res.text()).toBe('')
    expect(await rpc(star, 'get', { id })).toMatchObject({ id, version: 1, value: { kind: 'notified' } })
    // A failing notification is not answered either, and changes nothing.
    const before = await storeState(star)
    const failing = await rpcRaw(star, body(call('patch', { id: randomUUID(), value: { a: 1 } })))
    expect(failing).toEqual({ status: 204, json: undefined })
    expect(await storeState(star)).toEqual(before)
  })

  it('answers a non-existent method with -32601', async () => {
    const star = freshStar()
    expect((await rpcRaw(star, body(call('foobar', undefined, '1')))).json).toEqual(methodNotFound('1'))
    // Prototype names and the reserved rpc. prefix are not methods either.
    for (const name of ['toString', '__proto__', 'constructor', 'rpc.discover', 'hasOwnProperty']) {
      expect((await rpcRaw(star, body(call(name, undefined, 9)))).json).toEqual(methodNotFound(9))
    }
  })

  it('answers invalid JSON with -32700 and id null', async () => {
    const star = freshStar()
    const res = await rpcRaw(star, '{"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz]')
    expect(res).toEqual({ status: 200, json: parseError })
    expect((await rpcRaw(star, '')).json).toEqual(parseError)
  })

  it('answers an invalid Request object with -32600 and id null', async () => {
    const star = freshStar()
    expect((await rpcRaw(star, '{"jsonrpc": "2.0", "method": 1, "params": "bar"}')).json).toEqual(
      invalidRequest,
    )
    for (const bad of ['null', '1', '"get"', '{}', '{"jsonrpc":"1.0","method":"get","id":1}']) {
      expect((await rpcRaw(star, bad)).json).toMatchObject({ error: { code: -32600 } })
    }
  })

  it('answers a batch of invalid JSON with one -32700 object', async () => {
    const star = freshStar()
    const res = await rpcRaw(
      star,
      '[{"jsonrpc": "2.0", "method": "get", "params": ["0b6f3c1e-8d2a-4f4e-9c3b-2a1d5e6f7a8b"], "id": "1"},{"jsonrpc": "2.0", "method"]',
    )
    expect(res).toEqual({ status: 200, json: parseError })
  })

  it('answers an empty array with one -32600 object, [1] with one and [1,2,3] with three', async () => {
    const star = freshStar()
    expect(await rpcRaw(star, '[]')).toEqual({ status: 200, json: invalidRequest })
    expect(await rpcRaw(star, '[1]')).toEqual({ status: 200, json: [invalidRequest] })
    expect(await rpcRaw(star, '[1,2,3]')).toEqual({
      status: 200,
      json: [invalidRequest, invalidRequest, invalidRequest],
    })
  })

  it('answers a mixed batch exactly as the spec shows, in order, running it in order', async () => {
    const star = freshStar()
    const a = await seedDoc(star, 'a')
    const b = await seedDoc(star, 'b')
    const res = await rpcRaw(
      star,
      body([
        call('get', [a.id], '1'),
        call('patch', [b.id, { hello: 7 }]),
        call('get', [b.id], '2'),
        { foo: 'boo' },
        call('foo.get', { name: 'myself' }, '5'),
        call('star.health', undefined, '9'),
      ]),
    )
    const bNow = await rpc(star, 'get', { id: b.id })
    expect(bNow).toMatchObject({ version: 2, value: { kind: 'note', text: 'b', hello: 7 } })
    const health = await rpc(star, 'star.health')
    expect(res).toEqual({
      status: 200,
      json: [
        { jsonrpc: '2.0', result: a, id: '1' },
        { jsonrpc: '2.0', result: bNow, id: '2' },
        invalidRequest,
        methodNotFound('5'),
        { jsonrpc: '2.0', result: health, id: '9' },
      ],
    })
  })

  it('answers an all-notification batch with HTTP 204 and runs every notification', async () => {
    const star = freshStar()
    const a = await seedDoc(star, 'a')
    const fresh = randomUUID()
    const res = await fetch(`${serverUrl()}/stars/${star}/rpc`, {
      method: 'POST',
      body: body([
        call('patch', [a.id, { seen: 1 }]),
        call('upsert', { id: fresh, type: 'Doc', value: { kind: 'batch' } }),
        call('notify_hello', [7]),
      ]),
    })
    expect(res.status).toBe(204)
    expect(await res.text()).toBe('')
    expect((await rpc(star, 'get', { id: a.id }))?.value.seen).toBe(1)
    expect((await rpc(star, 'get', { id: fresh }))?.version).toBe(1)
  })
})

describe('params, limits and routes', () => {
  it('answers params of the wrong type or with unknown keys with -32602 VALIDATION_FAILED', async () => {
    const star = freshStar()
    const doc = await seedDoc(star)
    const cases: Array<[string, RpcParams]> = [
      ['get', { id: 42 }],
      ['get', { id: 'not-a-uuid' }],
      ['get', { id: doc.id, asOf: 'yesterday' }],
      ['get', { id: doc.id, asOf: -1 }],
      ['get', { id: doc.id, asOf: 1.5 }],
      ['get', { id: doc.id, extra: true }],
      ['get', [doc.id, 1, 'one too many']],
      ['get', {}],
      ['upsert', { type: 'Doc', value: [1, 2] }],
      ['upsert', { type: 7, value: {} }],
      ['upsert', { type: 'Doc', value: {}, ifMatch: -1 }],
      ['upsert', { type: 'Doc', value: {}, colour: 'red' }],
      ['patch', { id: doc.id, value: 'text' }],
      ['patch', { id: doc.id, value: ['not', 'an', 'object'] }],
      ['orgTree.addNode', { parent: doc.id, slug: 'x', name: 'X', fields: ['a'] }],
      ['orgTree.addEdge', { parent: doc.id, child: doc.id, edge: [1] }],
      ['delete', { id: doc.id, ifMatch: '1' }],
      ['transaction', { ops: [] }],
      ['transaction', { ops: 'all of them' }],
      ['transaction', { ops: [{ op: 'drop', id: doc.id }] }],
      ['transaction', { ops: [{ op: 'patch', id: doc.id, value: {}, extra: 1 }] }],
      ['query', { limit: 0 }],
      ['query', { limit: 10_001 }],
      ['query', { orderBy: 'id' }],
      ['history', { id: doc.id, from: 'soon' }],
      ['changes', {}],
      ['orgTree.addNode', { parent: doc.id, slug: 5, name: 'x' }],
      ['star.health', { verbose: true }],
    ]
    const before = await storeState(star)
    const got: unknown[] = []
    for (const [method, params] of cases) {
      const outcome = await rpcBatch(star, [[method as keyof RpcResults, params]])
      const answer = outcome[0]!
      got.push(
        answer.ok
          ? { method, params, answered: answer.result }
          : {
              method,
              params,
              code: answer.error.code,
              kind: answer.error.details.kind,
              issues: answer.error.details.issues,
            },
      )
    }
    // Every case in one comparison, so a failure lists all the cases that are answered wrongly.
    expect(got).toEqual(
      cases.map(([method, params]) => ({
        method,
        params,
        code: -32602,
        kind: 'VALIDATION_FAILED',
        issues: expect.any(Array),
      })),
    )
    // 1,001 ops is one too many for a transaction.
    const tooMany = Array.from({ length: 1001 }, () => ({ op: 'upsert', type: 'Doc', value: {} }))
    expect((await rpcError(star, 'transaction', { ops: tooMany })).details.kind).toBe('VALIDATION_FAILED')
    expect(await storeState(star)).toEqual(before)
  })

  it('answers a malformed filter with -32602 INVALID_FILTER and the path of the problem', async () => {
    const star = freshStar()
    await seedDoc(star)
    const filters: unknown[] = [
      { kind: { $foo: 1 } },
      { $or: [] },
      { $and: {} },
      { kind: { $in: 'note' } },
      { kind: { $gt: { nested: true } } },
      { kind: { $exists: 'yes' } },
      { 'bad path!': 1 },
      { kind: { $not: 'note' } },
      { $nor: [{ kind: 'note' }] },
      'kind = note',
      [{ kind: 'note' }],
    ]
    for (const where of filters) {
      const err = await rpcError(star, 'query', { type: 'Doc', where })
      expect({ where, code: err.code, kind: err.details.kind }).toEqual({
        where,
        code: -32602,
        kind: 'INVALID_FILTER',
      })
      expect(typeof err.details.path).toBe('string')
    }
    // A good filter on the same data works.
    expect(
      (await rpc(star, 'query', { type: 'Doc', where: { kind: { $in: ['note'] } } })).entities,
    ).toHaveLength(1)
  })

  it('refuses a body over 1,000,000 bytes with HTTP 413 and leaves the star unchanged', async () => {
    const star = freshStar()
    await seedDoc(star)
    const before = await storeState(star)
    const id = randomUUID()
    const over = await rpcRaw(star, bodyOfSize(MAX_BODY + 1, id))
    expect(over.status).toBe(413)
    expect(over.json).toMatchObject({ jsonrpc: '2.0', error: { code: -32600 }, id: null })
    // Streamed without a content-length, the same body is refused too.
    const bytes = new TextEncoder().encode(bodyOfSize(MAX_BODY + 1, id))
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < bytes.length; i += 65_536) controller.enqueue(bytes.slice(i, i + 65_536))
        controller.close()
      },
    })
    expect((await rpcRaw(star, stream)).status).toBe(413)
    expect(await storeState(star)).toEqual(before)
    expect(await rpc(star, 'get', { id })).toBeNull()
    // A body of exactly 1,000,000 bytes is read (its value is then too large for an entity).
    const exact = await rpcRaw(star, bodyOfSize(MAX_BODY, id))
    expect(exact.status).toBe(200)
    expect(exact.json).toMatchObject({ id: 1, error: { code: 1014, data: { kind: 'PAYLOAD_TOO_LARGE' } } })
    expect(await storeState(star)).toEqual(before)
  })

  it('refuses a batch of more than 100 entries whole, and runs one of 100', async () => {
    const star = freshStar()
    const before = await storeState(star)
    const upserts = (n: number) =>
      Array.from({ length: n }, (_, i) => call('upsert', { type: 'Doc', value: { kind: 'bulk', i } }, i))
    const big = await rpcRaw(star, body(upserts(101)))
    expect(big.json).toMatchObject({ jsonrpc: '2.0', error: { code: -32600 }, id: null })
    expect(Array.isArray(big.json)).toBe(false)
    expect(await storeState(star)).toEqual(before)
    const ok = await rpcRaw(star, body(upserts(100)))
    expect(ok.status).toBe(200)
    expect(ok.json as unknown[]).toHaveLength(100)
    expect((await rpc(star, 'query', { type: 'Doc' })).entities).toHaveLength(100)
  })

  it('answers GET on /rpc with 405', async () => {
    const res = await fetch(`${serverUrl()}/stars/${freshStar()}/rpc`)
    expect(res.status).toBe(405)
    expect(res.headers.get('allow')).toBe('POST')
    // Every HTTP error has the one body shape { error: { kind, message } }.
    expect(await res.json()).toEqual({
      error: { kind: 'METHOD_NOT_ALLOWED', message: 'Use POST with a JSON-RPC 2.0 body' },
    })
  })
})
