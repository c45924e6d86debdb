// Toy methods (the ones the specification's examples call, and a few of our own) and the helpers
// that the dispatcher's tests share.
import { ErrorKind } from '@lumenize/protocol'
import { type DispatchOptions, dispatchSync, RpcError, type RpcMethods } from './jsonrpc'

export interface Ctx {
  log: string[]
}

const sumOf = (values: unknown): number => (values as number[]).reduce((total, n) => total + n, 0)

// The toy methods the specification's examples call.
export const methods = {
  subtract: {
    paramNames: ['minuend', 'subtrahend'],
    validate: (p) =>
      typeof p.minuend === 'number' && typeof p.subtrahend === 'number' ? undefined : 'numbers expected',
    run: (p) => (p.minuend as number) - (p.subtrahend as number),
  },
  sum: { restParam: 'values', run: (p) => sumOf(p.values) },
  notify_sum: {
    restParam: 'values',
    run: (p, ctx) => {
      ctx.log.push(`sum ${sumOf(p.values)}`)
    },
  },
  notify_hello: {
    paramNames: ['n'],
    run: (p, ctx) => {
      ctx.log.push(`hello ${String(p.n)}`)
    },
  },
  update: {
    restParam: 'values',
    run: (p, ctx) => {
      ctx.log.push(`update ${String(p.values)}`)
    },
  },
  get_data: { run: () => ['hello', 5] },
  echo: { paramNames: ['a', 'b'], run: (p) => p },
  conflict: {
    paramNames: ['id'],
    run: (p) => {
      throw new RpcError(1003, 'Entity changed since you read it', {
        kind: ErrorKind.conflict,
        id: p.id,
        current: 7,
      })
    },
  },
  plain_rpc_error: {
    run: () => {
      throw new RpcError(1001, 'Nope')
    },
  },
  explode: {
    run: () => {
      throw new Error('SQLITE_CONSTRAINT: secret table layout')
    },
  },
  bigint: { run: () => 10n },
  nothing: { run: () => undefined },
  later: { paramNames: ['value'], run: async (p) => p.value },
  later_conflict: {
    run: async () => {
      throw new RpcError(1003, 'Conflict', { kind: ErrorKind.conflict })
    },
  },
  'rpc.discover': { run: () => 'reserved' },
} satisfies RpcMethods<Ctx>

export function rpc(body: unknown, options?: DispatchOptions): { answer: unknown; log: string[] } {
  const ctx: Ctx = { log: [] }
  const text = dispatchSync(methods, body, ctx, options)
  return { answer: text === undefined ? undefined : JSON.parse(text), log: ctx.log }
}

export const answer = (body: unknown, options?: DispatchOptions): unknown => rpc(body, options).answer

export const invalidRequest = {
  jsonrpc: '2.0',
  error: { code: -32600, message: 'Invalid Request' },
  id: null,
}

export const request = (method: string, params?: unknown, id: unknown = 1) => ({
  jsonrpc: '2.0',
  method,
  ...(params === undefined ? {} : { params }),
  id,
})
export const failure = (code: number, message: string, id: unknown = 1) => ({
  jsonrpc: '2.0',
  error: { code, message },
  id,
})

// A -32602 answer: its data names the offending param, like a failed params schema would.
export const invalid = (detail: string, path: string, id: unknown = 1) => ({
  jsonrpc: '2.0',
  error: {
    code: -32602,
    message: `Invalid params: ${detail}`,
    data: { kind: ErrorKind.validation, issues: [{ path, message: detail }] },
  },
  id,
})
