// Fails on any change to the wire schemas that was not announced by a PROTOCOL_VERSION bump.
// When it fails: if old clients cannot ignore the change, bump PROTOCOL_VERSION (and the history
// in version.ts); then record the new hash below under the current version.
import { createHash } from 'node:crypto'
import * as v from 'valibot'
import { describe, expect, it } from 'vitest'
import { DeleteOpSchema, PatchOpSchema, UpsertOpSchema } from '../entity'
import { JsonRpcRequestSchema } from '../jsonrpc'
import { BUILT_IN_MUTATORS } from '../mutators'
import { DownMessageSchema, LooseDownMessageSchema, PokeEndSchema } from './down'
import { PORT_PROTOCOL_VERSION, PortControlSchema, PortUpMessageSchema } from './port'
import { ConnectSchema, UpMessageSchema } from './up'
import { PROTOCOL_VERSION } from './version'

/** A deterministic description of a valibot schema: kinds, keys, literals, checks and their limits. */
function describeSchema(schema: unknown): unknown {
  if (typeof schema !== 'object' || schema === null) return schema
  const s = schema as Record<string, unknown>
  const out: Record<string, unknown> = { kind: s.kind, type: s.type }
  for (const key of [
    'literal',
    'requirement',
    'options',
    'key',
    'entries',
    'item',
    'wrapped',
    'pipe',
    'value',
    'default',
  ]) {
    const v = s[key]
    if (v === undefined || typeof v === 'function') continue
    if (v instanceof RegExp) out[key] = v.source
    else if (Array.isArray(v)) out[key] = v.map(describeSchema)
    else if (key === 'entries' && typeof v === 'object' && v !== null) {
      out[key] = Object.fromEntries(
        Object.keys(v)
          .sort()
          .map((k) => [k, describeSchema((v as Record<string, unknown>)[k])]),
      )
    } else out[key] = describeSchema(v)
  }
  return out
}

// Both directions: what clients send, what the server sends (strictly) and what clients accept.
const WIRE = {
  UpMessageSchema,
  DownMessageSchema,
  LooseDownMessageSchema,
  UpsertOpSchema,
  PatchOpSchema,
  DeleteOpSchema,
  JsonRpcRequestSchema,
  // The args of the built-in mutators travel in every push.
  upsertArgs: BUILT_IN_MUTATORS.upsert.args,
  patchArgs: BUILT_IN_MUTATORS.patch.args,
  deleteArgs: BUILT_IN_MUTATORS.delete.args,
  transactionArgs: BUILT_IN_MUTATORS.transaction.args,
}

// Each schema by name: WIRE itself is a plain object, which describeSchema would see as empty.
const describeWire = (): unknown =>
  Object.fromEntries(Object.entries(WIRE).map(([name, schema]) => [name, describeSchema(schema)]))

/**
 * The hash of the wire schemas at each protocol version. (Until the server's messages became
 * schemas, version 1's entry hashed an empty description; the wire itself did not change.)
 */
const KNOWN: Record<number, string> = {
  1: 'a1a4e49275a22f96',
}

/** The hash of the port protocol's schemas (tab ↔ hub, which carry the sync messages too) per version. */
const KNOWN_PORT: Record<number, string> = {
  1: 'ba99e3c7454b8627',
}

describe('protocol version', () => {
  it('changes only together with the recorded wire-schema hash', () => {
    const hash = createHash('sha256').update(JSON.stringify(describeWire())).digest('hex').slice(0, 16)
    expect({ version: PROTOCOL_VERSION, hash }).toEqual({
      version: PROTOCOL_VERSION,
      hash: KNOWN[PROTOCOL_VERSION],
    })
  })

  it('changes the port protocol (tab ↔ hub) only together with its own recorded hash', () => {
    const port = { PortUpMessageSchema, PortControlSchema, DownMessageSchema }
    const described = Object.fromEntries(Object.entries(port).map(([n, s]) => [n, describeSchema(s)]))
    const hash = createHash('sha256').update(JSON.stringify(described)).digest('hex').slice(0, 16)
    expect({ version: PORT_PROTOCOL_VERSION, hash }).toEqual({
      version: PORT_PROTOCOL_VERSION,
      hash: KNOWN_PORT[PORT_PROTOCOL_VERSION],
    })
  })

  it('hashes every schema of both directions', () => {
    const text = JSON.stringify(describeWire())
    for (const tag of ['connect', 'push', 'pokeStart', 'pokePart', 'pokeEnd', 'mutationError', 'pong'])
      expect(text).toContain(`"literal":"${tag}"`)
  })

  it('describes schemas deeply enough to see a new optional field', () => {
    const before = JSON.stringify(describeSchema(ConnectSchema))
    const widened = v.strictObject({ ...ConnectSchema.entries, extra: v.optional(v.string()) })
    expect(JSON.stringify(describeSchema(widened))).not.toEqual(before)
    const limit = v.strictObject({ ...ConnectSchema.entries, clientId: v.pipe(v.string(), v.maxLength(64)) })
    expect(JSON.stringify(describeSchema(limit))).not.toEqual(before)
  })

  it('sees a renamed field of a server message', () => {
    const before = JSON.stringify(describeSchema(PokeEndSchema))
    const { lastMutationIdChanges, ...rest } = PokeEndSchema.entries
    const renamed = v.strictObject({ ...rest, lastMutationIds: lastMutationIdChanges })
    expect(JSON.stringify(describeSchema(renamed))).not.toEqual(before)
  })
})
