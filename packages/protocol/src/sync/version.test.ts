// Fails on any change to the wire schemas that was not announced by a PROTOCOL_VERSION bump.
// When it fails: if old clients cannot ignore the change, bump PROTOCOL_VERSION (and the history
// in version.ts); then record the new hash below under the current version.
import { createHash } from 'node:crypto'
import * as v from 'valibot'
import { describe, expect, it } from 'vitest'
import { DeleteOpSchema, PatchOpSchema, UpsertOpSchema } from '../entity'
import { JsonRpcRequestSchema } from '../jsonrpc'
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

const WIRE = { UpMessageSchema, UpsertOpSchema, PatchOpSchema, DeleteOpSchema, JsonRpcRequestSchema }

/** The hash of the wire schemas at each protocol version. */
const KNOWN: Record<number, string> = {
  1: '44136fa355b3678a',
}

describe('protocol version', () => {
  it('changes only together with the recorded wire-schema hash', () => {
    const hash = createHash('sha256')
      .update(JSON.stringify(describeSchema(WIRE)))
      .digest('hex')
      .slice(0, 16)
    expect({ version: PROTOCOL_VERSION, hash }).toEqual({
      version: PROTOCOL_VERSION,
      hash: KNOWN[PROTOCOL_VERSION],
    })
  })

  it('describes schemas deeply enough to see a new optional field', () => {
    const before = JSON.stringify(describeSchema(ConnectSchema))
    const widened = v.strictObject({ ...ConnectSchema.entries, extra: v.optional(v.string()) })
    expect(JSON.stringify(describeSchema(widened))).not.toEqual(before)
    const limit = v.strictObject({ ...ConnectSchema.entries, clientId: v.pipe(v.string(), v.maxLength(64)) })
    expect(JSON.stringify(describeSchema(limit))).not.toEqual(before)
  })
})
