// Entities and their temporal snapshots, and the write operations on them.
import * as v from 'valibot'
import { EntityIdSchema } from './ids'

/** The `validTo` of a current snapshot: the largest epoch-ms a JS Date (and Temporal) can hold. */
export const END_OF_TIME = 8_640_000_000_000_000

/** The entity type of OrgTree nodes, built into every star. */
export const ORG_NODE_TYPE = 'OrgNode'

/** A JSON object, the `value` of every entity. */
export type JsonObject = { [key: string]: JsonValue }
export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject

/** A declared entity type's name: a letter, then letters, digits or _ (at most 64). */
export const TypeNameSchema = v.pipe(
  v.string(),
  v.regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, 'must be a type name: a letter, then letters, digits or _'),
)

/** A JSON object (not an array, not null); its contents are checked by the store, not here. */
export const JsonObjectSchema = v.custom<JsonObject>(
  (x) => typeof x === 'object' && x !== null && !Array.isArray(x),
  'must be a JSON object',
)

const Int = v.pipe(v.number(), v.integer())

/**
 * One immutable version of an entity. `validFrom` is inclusive, `validTo` exclusive (END_OF_TIME for
 * the current snapshot); consecutive snapshots of an entity touch. A delete is a tombstone snapshot.
 * `version` is 1 for the first write and +1 for every later one; it doubles as the eTag for
 * `ifMatch`. `clientId` and `mutationId` name the pushing client and its mutation, when the write
 * came through sync.
 */
export const EntitySnapshotSchema = v.strictObject({
  id: EntityIdSchema,
  type: TypeNameSchema,
  value: JsonObjectSchema,
  version: v.pipe(Int, v.minValue(1)),
  validFrom: Int,
  validTo: Int,
  deleted: v.boolean(),
  clientId: v.nullable(v.string()),
  mutationId: v.nullable(Int),
})

/** A snapshot as clients read it: unknown fields dropped, metadata an older server left out defaulted. */
export const LooseEntitySnapshotSchema = v.object({
  id: v.string(),
  type: v.string(),
  value: JsonObjectSchema,
  version: Int,
  validFrom: v.number(),
  validTo: v.number(),
  deleted: v.optional(v.boolean(), false),
  clientId: v.optional(v.nullable(v.string()), null),
  mutationId: v.optional(v.nullable(Int), null),
})

export type EntitySnapshot = v.InferOutput<typeof EntitySnapshotSchema>

/** The eTag an operation expects: the entity's current version, or 0 for "must not exist yet". */
export const IfMatchSchema = v.pipe(v.number(), v.integer(), v.minValue(0))

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
