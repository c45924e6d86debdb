// Entities and their temporal snapshots, and the write operations on them.
import * as v from 'valibot'

/** The `validTo` of a current snapshot: the largest epoch-ms a JS Date (and Temporal) can hold. */
export const END_OF_TIME = 8_640_000_000_000_000

/** The entity type of OrgTree nodes, built into every star. */
export const ORG_NODE_TYPE = 'OrgNode'

/** A JSON object, the `value` of every entity. */
export type JsonObject = { [key: string]: JsonValue }
export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject

/**
 * One immutable version of an entity. `validFrom` is inclusive, `validTo` exclusive (END_OF_TIME for
 * the current snapshot); consecutive snapshots of an entity touch. A delete is a tombstone snapshot.
 */
export interface EntitySnapshot {
  id: string
  type: string
  value: JsonObject
  /** 1 for the first write, +1 for every later one. Doubles as the eTag for `ifMatch`. */
  version: number
  validFrom: number
  validTo: number
  deleted: boolean
  /** Who wrote it: the pushing client and its mutation id, when it came through sync. */
  clientId: string | null
  mutationId: number | null
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

/** An entity id: a UUID in lowercase (v4 recommended; any RFC 4122 layout is accepted). */
export const EntityIdSchema = v.pipe(
  v.string(),
  v.toLowerCase(),
  v.regex(UUID_RE, 'must be a UUID like 0b6f3c1e-8d2a-4f4e-9c3b-2a1d5e6f7a8b'),
)

const TypeNameSchema = v.pipe(
  v.string(),
  v.regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, 'must be a type name: a letter, then letters, digits or _'),
)

const JsonObjectSchema = v.custom<JsonObject>(
  (x) => typeof x === 'object' && x !== null && !Array.isArray(x),
  'must be a JSON object',
)

/** The eTag an operation expects: the entity's current version, or 0 for "must not exist yet". */
const IfMatchSchema = v.pipe(v.number(), v.integer(), v.minValue(0))

export const UpsertOpSchema = v.strictObject({
  op: v.literal('upsert'),
  id: v.optional(EntityIdSchema),
  type: TypeNameSchema,
  value: JsonObjectSchema,
  ifMatch: v.optional(IfMatchSchema),
})

export const PatchOpSchema = v.strictObject({
  op: v.literal('patch'),
  id: EntityIdSchema,
  /** A JSON Merge Patch (RFC 7386): nested objects merge, `null` removes a key. */
  value: JsonObjectSchema,
  ifMatch: v.optional(IfMatchSchema),
})

export const DeleteOpSchema = v.strictObject({
  op: v.literal('delete'),
  id: EntityIdSchema,
  ifMatch: v.optional(IfMatchSchema),
})

export const WriteOpSchema = v.variant('op', [UpsertOpSchema, PatchOpSchema, DeleteOpSchema])

export type UpsertOp = v.InferOutput<typeof UpsertOpSchema>
export type PatchOp = v.InferOutput<typeof PatchOpSchema>
export type DeleteOp = v.InferOutput<typeof DeleteOpSchema>
/** One operation of a transaction. */
export type WriteOp = v.InferOutput<typeof WriteOpSchema>

/** One entry of `changes`: an op-log record with the snapshot it produced. */
export interface Change {
  seq: number
  op: 'upsert' | 'patch' | 'delete'
  at: number
  entity: EntitySnapshot
}
