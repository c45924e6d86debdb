// Param schemas of the star's JSON-RPC methods. Instants are epoch ms or ISO-8601 strings.
import { EntityIdSchema, UpsertOpSchema, WriteOpSchema } from '@lumenize/protocol'
import * as v from 'valibot'

/** An instant: epoch milliseconds, or an ISO-8601 string such as 2026-11-23T10:00:00Z. */
export const InstantSchema = v.union([
  v.pipe(v.number(), v.integer('must be whole epoch milliseconds'), v.minValue(0)),
  v.pipe(
    v.string(),
    v.isoTimestamp('must be epoch ms or an ISO-8601 timestamp'),
    v.transform((s) => Date.parse(s)),
  ),
])

const IfMatch = v.optional(v.pipe(v.number(), v.integer(), v.minValue(0)))
const AsOf = v.optional(InstantSchema)
const Limit = v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(10_000)))
// A JSON object, never an array (valibot's record accepts arrays, which would merge as "0", "1", … keys).
const JsonObjectParam = v.custom<Record<string, unknown>>(
  (x) => typeof x === 'object' && x !== null && !Array.isArray(x),
  'must be a JSON object',
)
const EdgeMeta = v.optional(JsonObjectParam)

export const ParamSchemas = {
  get: v.strictObject({ id: EntityIdSchema, asOf: AsOf }),
  upsert: v.omit(UpsertOpSchema, ['op']),
  patch: v.strictObject({ id: EntityIdSchema, value: JsonObjectParam, ifMatch: IfMatch }),
  delete: v.strictObject({ id: EntityIdSchema, ifMatch: IfMatch }),
  transaction: v.strictObject({ ops: v.pipe(v.array(WriteOpSchema), v.minLength(1), v.maxLength(1000)) }),
  history: v.strictObject({ id: EntityIdSchema, from: AsOf, to: AsOf }),
  query: v.strictObject({
    type: v.optional(v.string()),
    where: v.optional(v.unknown()),
    under: v.optional(EntityIdSchema),
    asOf: AsOf,
    limit: Limit,
    offset: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
    orderBy: v.optional(
      v.array(v.strictObject({ field: v.string(), direction: v.optional(v.picklist(['asc', 'desc'])) })),
    ),
  }),
  changes: v.strictObject({ from: InstantSchema, to: AsOf, limit: Limit }),
  none: v.strictObject({}),
  asOfOnly: v.strictObject({ asOf: AsOf }),
  node: v.strictObject({ id: EntityIdSchema, asOf: AsOf }),
  addNode: v.strictObject({
    parent: EntityIdSchema,
    slug: v.string(),
    name: v.string(),
    id: v.optional(EntityIdSchema),
    fields: v.optional(JsonObjectParam),
    edge: EdgeMeta,
  }),
  addEdge: v.strictObject({ parent: EntityIdSchema, child: EntityIdSchema, edge: EdgeMeta }),
  removeEdge: v.strictObject({ parent: EntityIdSchema, child: EntityIdSchema }),
  move: v.strictObject({ node: EntityIdSchema, from: EntityIdSchema, to: EntityIdSchema, edge: EdgeMeta }),
  deleteNode: v.strictObject({ id: EntityIdSchema }),
  trim: v.strictObject({ keepLast: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))) }),
} as const
