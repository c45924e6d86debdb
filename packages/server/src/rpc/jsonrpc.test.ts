// The JSON-RPC dispatcher's own rules: params, the envelope, ids, errors, batch limits.
import { JSON_RPC_ERRORS } from '@lumenize/protocol'
import { describe, expect, it, vi } from 'vitest'
import { dispatchSync, RpcError } from './jsonrpc'
import { answer, failure, invalid, invalidRequest, methods, request, rpc } from './jsonrpc.toy'

describe('params', () => {
  it('maps positional params to names in order, leaving missing trailing ones out', () => {
    expect(answer(request('echo', [1, 2]))).toEqual({ jsonrpc: '2.0', result: { a: 1, b: 2 }, id: 1 })
    expect(answer(request('echo', [1]))).toEqual({ jsonrpc: '2.0', result: { a: 1 }, id: 1 })
    expect(answer(request('echo', []))).toEqual({ jsonrpc: '2.0', result: {}, id: 1 })
    expect(answer(request('echo'))).toEqual({ jsonrpc: '2.0', result: {}, id: 1 })
    expect(answer(request('echo', { b: 2 }))).toEqual({ jsonrpc: '2.0', result: { b: 2 }, id: 1 })
  })

  it('collects extra positional params under restParam', () => {
    expect(answer(request('sum', []))).toEqual({ jsonrpc: '2.0', result: 0, id: 1 })
    expect(answer(request('sum', [1, 2, 3, 4]))).toEqual({ jsonrpc: '2.0', result: 10, id: 1 })
  })

  it('answers too many positional params with -32602', () => {
    expect(answer(request('echo', [1, 2, 3]))).toEqual(
      invalid('expected at most 2 positional params, got 3', '2'),
    )
    expect(answer(request('get_data', [1]))).toEqual(
      invalid('expected at most 0 positional params, got 1', '0'),
    )
  })

  it('answers a named param outside paramNames with -32602', () => {
    expect(answer(request('echo', { a: 1, c: 3 }))).toEqual(invalid("unknown param 'c'", 'c'))
  })

  it('answers what validate finds with -32602, before run', () => {
    expect(answer(request('subtract', [42, 'x']))).toEqual(invalid('numbers expected', ''))
    expect(answer(request('subtract', { minuend: 1 }))).toEqual(invalid('numbers expected', ''))
  })

  it('answers params that are not an array or an object with -32600 (they make the request invalid)', () => {
    for (const params of ['bar', 3, null, true]) {
      expect(answer(request('echo', params))).toEqual(failure(-32600, 'Invalid Request'))
    }
  })

  it('never answers a notification, even with bad params', () => {
    expect(rpc({ jsonrpc: '2.0', method: 'echo', params: [1, 2, 3] })).toEqual({ answer: undefined, log: [] })
    expect(rpc({ jsonrpc: '2.0', method: 'subtract', params: ['x'] })).toEqual({ answer: undefined, log: [] })
  })
})

describe('the request envelope', () => {
  it('requires jsonrpc to be exactly "2.0"', () => {
    for (const jsonrpc of ['2', '1.0', 2, '2.0 ', undefined]) {
      expect(answer({ jsonrpc, method: 'get_data', id: 1 })).toEqual(failure(-32600, 'Invalid Request'))
    }
  })

  it('requires method to be a string', () => {
    for (const method of [1, null, ['get_data'], { name: 'get_data' }, undefined]) {
      expect(answer({ jsonrpc: '2.0', method, id: 1 })).toEqual(failure(-32600, 'Invalid Request'))
    }
  })

  it('refuses unknown members', () => {
    expect(answer({ ...request('get_data'), extra: true })).toEqual(failure(-32600, 'Invalid Request'))
  })

  it('answers an invalid request under its id when the id itself is fine, else under null', () => {
    expect(answer({ jsonrpc: '1.0', method: 'get_data', id: 'abc' })).toEqual(
      failure(-32600, 'Invalid Request', 'abc'),
    )
    expect(answer({ jsonrpc: '1.0', method: 'get_data', id: { no: 1 } })).toEqual(
      failure(-32600, 'Invalid Request', null),
    )
  })

  it('keeps rpc.* methods reserved, and never reaches Object.prototype', () => {
    for (const method of ['rpc.discover', 'toString', 'constructor', '__proto__', 'hasOwnProperty']) {
      expect(answer(request(method))).toEqual(failure(-32601, 'Method not found'))
    }
  })

  it('takes an already parsed body as well as JSON text', () => {
    expect(answer(request('subtract', [3, 1]))).toEqual({ jsonrpc: '2.0', result: 2, id: 1 })
    expect(answer([request('subtract', [3, 1])])).toEqual([{ jsonrpc: '2.0', result: 2, id: 1 }])
  })

  it('answers text that is JSON but no request with -32600, and empty text with -32700', () => {
    expect(answer('"hello"')).toEqual(invalidRequest)
    expect(answer('null')).toEqual(invalidRequest)
    expect(answer('')).toEqual({ jsonrpc: '2.0', error: { code: -32700, message: 'Parse error' }, id: null })
  })

  it('answers each entry of a nested batch as an invalid request', () => {
    expect(answer([[request('get_data')], []])).toEqual([invalidRequest, invalidRequest])
  })
})

describe('ids', () => {
  it('echoes string, number and null ids; null is a request, not a notification', () => {
    for (const id of ['abc', '', 0, 1, -7, 1.5, null]) {
      expect(answer(request('get_data', undefined, id))).toEqual({ jsonrpc: '2.0', result: ['hello', 5], id })
    }
  })

  it('answers ids of any other type with -32600 under null', () => {
    for (const id of [true, {}, [1], Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(answer(request('get_data', undefined, id))).toEqual(invalidRequest)
    }
  })

  it('echoes duplicate ids as they are, in request order', () => {
    const body = [
      request('subtract', [5, 1], 'x'),
      request('subtract', [9, 1], 'x'),
      request('echo', [1], 'x'),
    ]
    expect(answer(body)).toEqual([
      { jsonrpc: '2.0', result: 4, id: 'x' },
      { jsonrpc: '2.0', result: 8, id: 'x' },
      { jsonrpc: '2.0', result: { a: 1 }, id: 'x' },
    ])
  })
})

describe('errors thrown by methods', () => {
  it('passes an RpcError through with its code, message and data', () => {
    expect(answer(request('conflict', ['e1']))).toEqual({
      jsonrpc: '2.0',
      error: {
        code: 1003,
        message: 'Entity changed since you read it',
        data: { kind: 'CONFLICT', id: 'e1', current: 7 },
      },
      id: 1,
    })
  })

  it('leaves data out when an RpcError has none', () => {
    expect(answer(request('plain_rpc_error'))).toEqual(failure(1001, 'Nope'))
    const error = new RpcError(1, 'x')
    expect(error).toBeInstanceOf(Error)
    expect(error.name).toBe('RpcError')
  })

  it('answers any other error with a bare -32603 and hands it to onInternalError', () => {
    const onInternalError = vi.fn()
    const text = dispatchSync(methods, request('explode'), { log: [] }, { onInternalError })
    expect(JSON.parse(text ?? '')).toEqual(failure(-32603, 'Internal error'))
    expect(text).not.toContain('SQLITE')
    expect(onInternalError).toHaveBeenCalledOnce()
    expect(onInternalError.mock.calls[0]?.[0]).toBeInstanceOf(Error)
    expect(onInternalError.mock.calls[0]?.[1]).toBe('explode')
  })

  it('reports an internal error of a notification without answering it', () => {
    const onInternalError = vi.fn()
    expect(rpc({ jsonrpc: '2.0', method: 'explode' }, { onInternalError })).toEqual({
      answer: undefined,
      log: [],
    })
    expect(onInternalError).toHaveBeenCalledOnce()
  })

  it('still answers when onInternalError itself throws', () => {
    const onInternalError = () => {
      throw new Error('logger down')
    }
    expect(answer(request('explode'), { onInternalError })).toEqual(failure(-32603, 'Internal error'))
  })

  it('answers a result that does not serialize with -32603, without losing the rest of the batch', () => {
    const onInternalError = vi.fn()
    expect(answer([request('bigint'), request('get_data', undefined, 2)], { onInternalError })).toEqual([
      failure(-32603, 'Internal error'),
      { jsonrpc: '2.0', result: ['hello', 5], id: 2 },
    ])
    expect(onInternalError.mock.calls[0]?.[1]).toBe('bigint')
  })

  it('answers an undefined result as null (result is required on success)', () => {
    expect(answer(request('nothing'))).toEqual({ jsonrpc: '2.0', result: null, id: 1 })
  })
})

describe('maxBatch', () => {
  const batch = (n: number) => Array.from({ length: n }, (_, i) => request('get_data', undefined, i))

  it('allows 100 entries by default and refuses 101 with one -32600 that states the limit', () => {
    expect(answer(batch(100))).toHaveLength(100)
    expect(answer(batch(101))).toEqual(
      failure(-32600, 'Invalid Request: a batch may hold at most 100 requests, this one has 101', null),
    )
  })

  it('counts notifications too, and runs nothing of a refused batch', () => {
    const notes = Array.from({ length: 3 }, () => ({ jsonrpc: '2.0', method: 'notify_hello', params: [1] }))
    expect(rpc(notes, { maxBatch: 2 })).toEqual({
      answer: failure(-32600, 'Invalid Request: a batch may hold at most 2 requests, this one has 3', null),
      log: [],
    })
    expect(rpc(notes, { maxBatch: 3 })).toEqual({ answer: undefined, log: ['hello 1', 'hello 1', 'hello 1'] })
  })
})

describe('methods that return a Promise', () => {
  it('dispatchSync answers a method that returns a Promise with -32603 and reports why', () => {
    const onInternalError = vi.fn()
    expect(answer(request('later', [1]), { onInternalError })).toEqual(failure(-32603, 'Internal error'))
    expect(String(onInternalError.mock.calls[0]?.[0])).toContain("method 'later' returned a Promise")
  })

  // Vitest fails the whole run on an unhandled rejection, so giving the rejection time to surface is enough.
  it('dispatchSync does not leave a rejected Promise unhandled', async () => {
    expect(answer(request('later_conflict'))).toEqual(failure(-32603, 'Internal error'))
    await new Promise((resolve) => setTimeout(resolve, 10))
  })
})

describe('the error codes', () => {
  it('uses the codes of JSON_RPC_ERRORS', () => {
    expect(JSON_RPC_ERRORS).toEqual({
      parseError: -32700,
      invalidRequest: -32600,
      methodNotFound: -32601,
      invalidParams: -32602,
      internalError: -32603,
    })
  })
})
