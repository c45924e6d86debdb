// Loose parsing of the server's frames (types from @lumenize/protocol): unknown fields are ignored
// and unknown message types skipped, so this client keeps working against newer servers.
import type { DownMessage, EntitySnapshot, ErrorKind, PokePart } from '@lumenize/protocol'
import * as v from 'valibot'

const Int = v.pipe(v.number(), v.integer())
const Details = v.optional(v.record(v.string(), v.unknown()))

const Snapshot = v.object({
  id: v.string(),
  type: v.string(),
  value: v.record(v.string(), v.unknown()),
  version: Int,
  validFrom: v.number(),
  validTo: v.number(),
  deleted: v.optional(v.boolean(), false),
  clientId: v.optional(v.nullable(v.string()), null),
  mutationId: v.optional(v.nullable(Int), null),
})

const WireError = v.object({ kind: v.string(), message: v.string(), details: Details })

const Down = v.variant('type', [
  v.object({ type: v.literal('connected'), protocolVersion: Int, watermark: Int, cookie: Int }),
  v.object({ type: v.literal('pokeStart'), pokeId: v.string(), baseCookie: Int, cookie: Int }),
  v.object({
    type: v.literal('pokePart'),
    pokeId: v.string(),
    subId: v.string(),
    truncate: v.optional(v.boolean()),
    puts: v.optional(v.array(Snapshot), []),
    dels: v.optional(v.array(v.string()), []),
  }),
  v.object({
    type: v.literal('pokeEnd'),
    pokeId: v.string(),
    cookie: Int,
    lastMutationIdChanges: v.optional(v.record(v.string(), Int), {}),
  }),
  v.object({ type: v.literal('mutationError'), clientId: v.string(), id: Int, error: WireError }),
  v.object({ type: v.literal('error'), kind: v.string(), message: v.string(), details: Details }),
  v.object({ type: v.literal('pong') }),
])

/**
 * Reads one server frame. Returns undefined for frames this client does not understand (unknown
 * type, or malformed), which callers skip.
 */
export function parseDown(frame: unknown): DownMessage | undefined {
  const r = v.safeParse(Down, frame)
  if (!r.success) return undefined
  const msg = r.output
  // Kinds are open strings on the wire (a newer server may add some); the protocol types name the known ones.
  if (msg.type === 'pokePart')
    return { ...dropUndefined(msg), puts: msg.puts as EntitySnapshot[] } as PokePart
  if (msg.type === 'mutationError') return { ...msg, error: dropUndefined(msg.error) as WireKind }
  if (msg.type === 'error') return dropUndefined(msg) as DownMessage
  return msg
}

type WireKind = { kind: ErrorKind; message: string; details?: Record<string, unknown> }

function dropUndefined<T extends object>(o: T): T {
  const out: Record<string, unknown> = {}
  for (const [k, val] of Object.entries(o)) if (val !== undefined) out[k] = val
  return out as T
}
