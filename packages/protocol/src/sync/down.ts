// Messages the server sends on the sync socket, as valibot schemas in two variants: strict (exactly
// what this server sends; its tests parse every frame with it) and loose (for clients: unknown
// fields are ignored and missing optional lists default, so older clients survive newer servers).
import * as v from 'valibot'
import { type EntitySnapshot, EntitySnapshotSchema, LooseEntitySnapshotSchema } from '../entity'
import { ErrorKindSchema } from '../errors'
import { CookieSchema } from './up'

const Int = v.pipe(v.number(), v.integer())
const Details = v.optional(v.record(v.string(), v.unknown()))

/**
 * The messages of one direction, built once per variant so that the strict and the loose schemas
 * cannot drift apart: they differ only in unknown keys (refused vs ignored), open error kinds and
 * defaults for the fields a client can do without.
 */
function downSchemas<Strict extends boolean>(strict: Strict) {
  const object = <E extends v.ObjectEntries>(entries: E) =>
    strict ? v.strictObject(entries) : v.object(entries)
  const kind = strict ? ErrorKindSchema : v.string()
  const snapshot = strict ? EntitySnapshotSchema : LooseEntitySnapshotSchema
  const withDefault = <S extends v.GenericSchema>(schema: S, fallback: v.InferOutput<S>) =>
    strict ? schema : v.optional(schema, fallback as never)

  /** Answer to `connect`: the server's protocol version, this client's watermark, the star's cookie. */
  const connected = object({
    type: v.literal('connected'),
    protocolVersion: Int,
    /** The last mutation id of this client the server has applied (0 if none). */
    watermark: CookieSchema,
    /** The star's current cookie. */
    cookie: CookieSchema,
  })
  /**
   * Opens a poke. A poke moves every subscription it names from `baseCookie` to `cookie`; the client
   * buffers its parts and applies them all at once at `pokeEnd`.
   */
  const pokeStart = object({
    type: v.literal('pokeStart'),
    pokeId: v.string(),
    baseCookie: CookieSchema,
    cookie: CookieSchema,
  })
  /** Rows of one subscription. With `truncate`, the subscription's rows are replaced by this poke's. */
  const pokePart = object({
    type: v.literal('pokePart'),
    pokeId: v.string(),
    subId: v.string(),
    truncate: v.optional(v.boolean()),
    puts: withDefault(v.array(snapshot), []),
    dels: withDefault(v.array(v.string()), []),
  })
  /** Closes a poke: apply it now. `lastMutationIdChanges` confirms pushed mutations. */
  const pokeEnd = object({
    type: v.literal('pokeEnd'),
    pokeId: v.string(),
    cookie: CookieSchema,
    lastMutationIdChanges: withDefault(v.record(v.string(), Int), {}),
  })
  const wireError = object({ kind, message: v.string(), details: Details })
  /** The outcome of a mutation that the server refused: its effect is dropped, its id consumed. */
  const mutationError = object({
    type: v.literal('mutationError'),
    clientId: v.string(),
    id: Int,
    error: wireError,
  })
  /** A bad frame or refused request. The socket stays open unless the server closes it. */
  const error = object({ type: v.literal('error'), kind, message: v.string(), details: Details })
  const pong = object({ type: v.literal('pong') })
  const message = v.variant('type', [connected, pokeStart, pokePart, pokeEnd, mutationError, error, pong])
  return { connected, pokeStart, pokePart, pokeEnd, mutationError, error, pong, message }
}

const strict = downSchemas(true)
const loose = downSchemas(false)

export const ConnectedSchema = strict.connected
export const PokeStartSchema = strict.pokeStart
export const PokePartSchema = strict.pokePart
export const PokeEndSchema = strict.pokeEnd
export const MutationErrorSchema = strict.mutationError
export const ErrorMessageSchema = strict.error
export const PongSchema = strict.pong

/** Every server message, strictly: unknown keys, unknown error kinds and missing fields are refused. */
export const DownMessageSchema = strict.message

/**
 * Every server message, loosely, for clients: unknown fields are dropped, error kinds are open
 * strings, `puts`/`dels`/`lastMutationIdChanges` and snapshot metadata default when missing. A
 * message of an unknown `type` fails to parse: a client skips it.
 */
export const LooseDownMessageSchema = loose.message

// valibot types an optional entry as `key?: T | undefined`; JSON never carries undefined, so the
// message types say `key?: T` (as a hand-written interface would).
type OptionalKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? K : never }[keyof T]
type Exact<T> = T extends unknown
  ? { [K in Exclude<keyof T, OptionalKeys<T>>]: T[K] } & { [K in OptionalKeys<T>]?: Exclude<T[K], undefined> }
  : never
type Flat<T> = T extends unknown ? { [K in keyof T]: T[K] } : never
type Message<S extends v.GenericSchema> = Flat<Exact<v.InferOutput<S>>>

export type Connected = Message<typeof ConnectedSchema>
export type PokeStart = Message<typeof PokeStartSchema>
export type PokePart = Message<typeof PokePartSchema>
export type PokeEnd = Message<typeof PokeEndSchema>
export type MutationError = Flat<
  Omit<Message<typeof MutationErrorSchema>, 'error'> & {
    error: Flat<Exact<v.InferOutput<typeof MutationErrorSchema>['error']>>
  }
>
export type ErrorMessage = Message<typeof ErrorMessageSchema>
export type Pong = Message<typeof PongSchema>
export type DownMessage = Connected | PokeStart | PokePart | PokeEnd | MutationError | ErrorMessage | Pong
/** A server message as a loose parse gives it (error kinds are any string). */
export type LooseDownMessage = v.InferOutput<typeof LooseDownMessageSchema>

/** A row as a replica holds it: the snapshot, its value possibly projected to the shape's fields. */
export type Row = EntitySnapshot

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
