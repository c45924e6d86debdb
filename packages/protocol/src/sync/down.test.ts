// The server's messages, strictly and loosely: what the server may send, and what a client accepts.
import * as v from 'valibot'
import { describe, expect, it } from 'vitest'
import { DownMessageSchema, LooseDownMessageSchema, unbundle } from './down'

const row = {
  id: '0b6f3c1e-8d2a-4f4e-9c3b-2a1d5e6f7a8b',
  type: 'Doc',
  value: { text: 'hi' },
  version: 1,
  validFrom: 5,
  validTo: 8_640_000_000_000_000,
  deleted: false,
  clientId: null,
  mutationId: null,
}
const part = { type: 'pokePart', pokeId: 'p1', subId: 's', truncate: true, puts: [row], dels: [] }

describe('server messages', () => {
  it('parse strictly exactly as the server sends them', () => {
    expect(v.parse(DownMessageSchema, part)).toEqual(part)
    expect(v.is(DownMessageSchema, { ...part, extra: 1 })).toBe(false)
    expect(v.is(DownMessageSchema, { type: 'error', kind: 'SOMETHING_NEW', message: 'm' })).toBe(false)
    expect(v.is(DownMessageSchema, { type: 'pokeEnd', pokeId: 'p1', cookie: 3 })).toBe(false)
  })

  it('parse loosely for clients: unknown fields dropped, open kinds, defaults', () => {
    const loose = v.parse(LooseDownMessageSchema, { ...part, puts: [{ ...row, extra: 1 }], future: true })
    expect(loose).toEqual(part)
    expect(v.parse(LooseDownMessageSchema, { type: 'pokeEnd', pokeId: 'p1', cookie: 3 })).toEqual({
      type: 'pokeEnd',
      pokeId: 'p1',
      cookie: 3,
      lastMutationIdChanges: {},
    })
    expect(v.is(LooseDownMessageSchema, { type: 'error', kind: 'SOMETHING_NEW', message: 'm' })).toBe(true)
  })

  it('leave a message of an unknown type to be skipped', () => {
    expect(v.is(LooseDownMessageSchema, { type: 'presence', who: [] })).toBe(false)
    expect(v.is(DownMessageSchema, { type: 'presence' })).toBe(false)
  })

  it('unbundle arrays of messages, but not a JSON-RPC batch answer', () => {
    expect(unbundle(part)).toEqual([part])
    expect(unbundle([part, part])).toEqual([part, part])
    const batch = [{ jsonrpc: '2.0', id: 1, result: null }]
    expect(unbundle(batch)).toEqual([batch])
  })
})
