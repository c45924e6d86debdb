// Messages the server sends on the sync socket. Clients parse them loosely: unknown fields are
// ignored so that older clients survive newer servers.
import type { EntitySnapshot } from '../entity'
import type { ErrorKind } from '../errors'

/** Answer to `connect`: the server's protocol version and this client's watermark. */
export interface Connected {
  type: 'connected'
  protocolVersion: number
  /** The last mutation id of this client the server has applied (0 if none). */
  watermark: number
  /** The star's current cookie. */
  cookie: number
}

/** A row as a replica holds it: the snapshot, its value possibly projected to the shape's fields. */
export type Row = EntitySnapshot

/**
 * Opens a poke. A poke moves every subscription it names from `baseCookie` to `cookie`; the client
 * buffers its parts and applies them all at once at `pokeEnd`.
 */
export interface PokeStart {
  type: 'pokeStart'
  pokeId: string
  baseCookie: number
  cookie: number
}

/** Rows of one subscription. With `truncate`, the subscription's rows are replaced by this poke's. */
export interface PokePart {
  type: 'pokePart'
  pokeId: string
  subId: string
  truncate?: boolean
  puts: Row[]
  dels: string[]
}

/** Closes a poke: apply it now. `lastMutationIdChanges` confirms pushed mutations. */
export interface PokeEnd {
  type: 'pokeEnd'
  pokeId: string
  cookie: number
  lastMutationIdChanges: Record<string, number>
}

/** The outcome of a mutation that the server refused: its effect is dropped, its id consumed. */
export interface MutationError {
  type: 'mutationError'
  clientId: string
  id: number
  error: { kind: ErrorKind; message: string; details?: Record<string, unknown> }
}

/** A bad frame or refused request. The socket stays open unless the server closes it. */
export interface ErrorMessage {
  type: 'error'
  kind: ErrorKind
  message: string
  details?: Record<string, unknown>
}

export interface Pong {
  type: 'pong'
}

export type DownMessage = Connected | PokeStart | PokePart | PokeEnd | MutationError | ErrorMessage | Pong

/**
 * The messages of one server frame, in order. A frame holds one message, or a JSON array of
 * messages (the server packs a small poke's pokeStart, parts and pokeEnd into one frame). An array
 * of JSON-RPC responses is a batch answer, not a bundle, and is returned whole.
 */
export function unbundle(frame: unknown): unknown[] {
  if (!Array.isArray(frame)) return [frame]
  const first: unknown = frame[0]
  if (typeof first === 'object' && first !== null && 'jsonrpc' in first) return [frame]
  return frame
}
