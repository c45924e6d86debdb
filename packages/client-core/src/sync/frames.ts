// Loose parsing of the server's frames with @lumenize/protocol's loose schemas: unknown fields are
// ignored and unknown message types skipped, so this client keeps working against newer servers.
import { type DownMessage, LooseDownMessageSchema } from '@lumenize/protocol'
import * as v from 'valibot'

/**
 * Reads one server frame. Returns undefined for frames this client does not understand (unknown
 * type, or malformed), which callers skip.
 */
export function parseDown(frame: unknown): DownMessage | undefined {
  const r = v.safeParse(LooseDownMessageSchema, frame)
  if (!r.success) return undefined
  const msg = r.output
  // Kinds are open strings on the wire (a newer server may add some); the protocol types name the
  // known ones, and callers treat an unknown kind like any other refusal.
  if (msg.type === 'pokePart' || msg.type === 'error') return dropUndefined(msg) as DownMessage
  if (msg.type === 'mutationError') return { ...msg, error: dropUndefined(msg.error) } as DownMessage
  return msg
}

function dropUndefined<T extends object>(o: T): T {
  const out: Record<string, unknown> = {}
  for (const [k, val] of Object.entries(o)) if (val !== undefined) out[k] = val
  return out as T
}
