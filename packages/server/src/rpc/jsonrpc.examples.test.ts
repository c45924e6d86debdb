// The JSON-RPC dispatcher against every example of the specification's section 7.
import { describe, expect, it } from 'vitest'
import { answer, invalidRequest, rpc } from './jsonrpc.toy'

describe('the examples of JSON-RPC 2.0, section 7', () => {
  it('rpc call with positional parameters', () => {
    expect(answer('{"jsonrpc": "2.0", "method": "subtract", "params": [42, 23], "id": 1}')).toEqual({
      jsonrpc: '2.0',
      result: 19,
      id: 1,
    })
    expect(answer('{"jsonrpc": "2.0", "method": "subtract", "params": [23, 42], "id": 2}')).toEqual({
      jsonrpc: '2.0',
      result: -19,
      id: 2,
    })
  })

  it('rpc call with named parameters', () => {
    expect(
      answer(
        '{"jsonrpc": "2.0", "method": "subtract", "params": {"subtrahend": 23, "minuend": 42}, "id": 3}',
      ),
    ).toEqual({ jsonrpc: '2.0', result: 19, id: 3 })
    expect(
      answer(
        '{"jsonrpc": "2.0", "method": "subtract", "params": {"minuend": 42, "subtrahend": 23}, "id": 4}',
      ),
    ).toEqual({ jsonrpc: '2.0', result: 19, id: 4 })
  })

  it('a notification', () => {
    const update = rpc('{"jsonrpc": "2.0", "method": "update", "params": [1,2,3,4,5]}')
    expect(update).toEqual({ answer: undefined, log: ['update 1,2,3,4,5'] })
    expect(rpc('{"jsonrpc": "2.0", "method": "foobar"}')).toEqual({ answer: undefined, log: [] })
  })

  it('rpc call of non-existent method', () => {
    expect(answer('{"jsonrpc": "2.0", "method": "foobar", "id": "1"}')).toEqual({
      jsonrpc: '2.0',
      error: { code: -32601, message: 'Method not found' },
      id: '1',
    })
  })

  it('rpc call with invalid JSON', () => {
    expect(answer('{"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz]')).toEqual({
      jsonrpc: '2.0',
      error: { code: -32700, message: 'Parse error' },
      id: null,
    })
  })

  it('rpc call with invalid Request object', () => {
    expect(answer('{"jsonrpc": "2.0", "method": 1, "params": "bar"}')).toEqual(invalidRequest)
  })

  it('rpc call Batch, invalid JSON', () => {
    const body = `[
  {"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},
  {"jsonrpc": "2.0", "method"
]`
    expect(answer(body)).toEqual({
      jsonrpc: '2.0',
      error: { code: -32700, message: 'Parse error' },
      id: null,
    })
  })

  it('rpc call with an empty Array', () => {
    expect(answer('[]')).toEqual(invalidRequest)
  })

  it('rpc call with an invalid Batch (but not empty)', () => {
    expect(answer('[1]')).toEqual([invalidRequest])
  })

  it('rpc call with invalid Batch', () => {
    expect(answer('[1,2,3]')).toEqual([invalidRequest, invalidRequest, invalidRequest])
  })

  it('rpc call Batch', () => {
    const body = `[
        {"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},
        {"jsonrpc": "2.0", "method": "notify_hello", "params": [7]},
        {"jsonrpc": "2.0", "method": "subtract", "params": [42,23], "id": "2"},
        {"foo": "boo"},
        {"jsonrpc": "2.0", "method": "foo.get", "params": {"name": "myself"}, "id": "5"},
        {"jsonrpc": "2.0", "method": "get_data", "id": "9"}
    ]`
    expect(rpc(body)).toEqual({
      answer: [
        { jsonrpc: '2.0', result: 7, id: '1' },
        { jsonrpc: '2.0', result: 19, id: '2' },
        { jsonrpc: '2.0', error: { code: -32600, message: 'Invalid Request' }, id: null },
        { jsonrpc: '2.0', error: { code: -32601, message: 'Method not found' }, id: '5' },
        { jsonrpc: '2.0', result: ['hello', 5], id: '9' },
      ],
      log: ['hello 7'],
    })
  })

  it('rpc call Batch (all notifications)', () => {
    const body = `[
        {"jsonrpc": "2.0", "method": "notify_sum", "params": [1,2,4]},
        {"jsonrpc": "2.0", "method": "notify_hello", "params": [7]}
    ]`
    expect(rpc(body)).toEqual({ answer: undefined, log: ['sum 7', 'hello 7'] })
  })
})
