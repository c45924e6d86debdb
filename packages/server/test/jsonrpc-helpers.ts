// Helpers of the JSON-RPC tests: the spec's error answers, request builders, seeded documents.
import { randomUUID } from 'node:crypto'
import type { EntitySnapshot } from '@lumenize/protocol'
import { expect } from 'vitest'
import { type RpcParams, rpc } from './rpc-client'

export const MAX_BODY = 1_000_000

export const parseError = { jsonrpc: '2.0', error: { code: -32700, message: 'Parse error' }, id: null }
export const invalidRequest = {
  jsonrpc: '2.0',
  error: { code: -32600, message: 'Invalid Request' },
  id: null,
}
export const methodNotFound = (id: string | number) => ({
  jsonrpc: '2.0',
  error: { code: -32601, message: 'Method not found' },
  id,
})

/** A JSON-RPC request body as text. */
export const call = (method: string, params?: RpcParams, id?: string | number): Record<string, unknown> => ({
  jsonrpc: '2.0',
  method,
  ...(params === undefined ? {} : { params }),
  ...(id === undefined ? {} : { id }),
})
export const body = (x: unknown): string => JSON.stringify(x)

/** A Doc written before the test's requests, to read back. */
export async function seedDoc(star: string, text = 'hello'): Promise<EntitySnapshot> {
  return rpc(star, 'upsert', { id: randomUUID(), type: 'Doc', value: { kind: 'note', text } })
}

/** A body of exactly `size` bytes: an upsert of a Doc whose text fills the rest. */
export function bodyOfSize(size: number, id: string): string {
  const make = (fill: number) =>
    body(call('upsert', { id, type: 'Doc', value: { kind: 'big', text: 'x'.repeat(fill) } }, 1))
  const overhead = Buffer.byteLength(make(0))
  const text = make(size - overhead)
  expect(Buffer.byteLength(text)).toBe(size)
  return text
}
