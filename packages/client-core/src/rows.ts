// Rows of every collection: entity snapshots. What an insert takes, and how the client fills the
// rest (id, type and value checked by the protocol's rules, the same the server applies).
import {
  END_OF_TIME,
  isJsonObject,
  type JsonObject,
  normalizeId,
  type StandardSchemaV1,
  TypeNameSchema,
} from '@lumenize/protocol'
import * as v from 'valibot'

/**
 * A row of a Lumenize collection: an entity snapshot as the server sends it. While a write is
 * optimistic, `version` is the client's guess (0 for a new entity) and `validFrom` the local clock;
 * the server's row replaces it when the write is confirmed.
 */
export interface EntityRow<V extends object = JsonObject> {
  id: string
  type: string
  value: V
  version: number
  /** Epoch ms, inclusive. See `temporalOf` for Temporal.Instant. */
  validFrom: number
  /** Epoch ms, exclusive; END_OF_TIME for the current snapshot. */
  validTo: number
  deleted: boolean
  clientId: string | null
  mutationId: number | null
}

/**
 * What `collection.insert` takes: `type` and `value`, and optionally `id` (a lowercase UUID, made
 * with `crypto.randomUUID()` when omitted). The client fills the metadata.
 *
 * @example tasks.insert({ type: 'Task', value: { title: 'Write the README' } })
 */
export interface EntityInput<V extends object = JsonObject> {
  id?: string
  type: string
  value: V
  version?: number
  validFrom?: number
  validTo?: number
  deleted?: boolean
  clientId?: string | null
  mutationId?: number | null
}

/** A problem the entity schema found in a row (TanStack DB shows it as a schema error). */
export interface EntityIssue {
  message: string
  path?: ReadonlyArray<PropertyKey>
}

/** The Standard Schema of entity rows: input is an `EntityInput`, output a full `EntityRow`. */
export type EntitySchema<V extends object = JsonObject> = StandardSchemaV1<EntityInput<V>, EntityRow<V>>

/**
 * The schema every Lumenize collection validates writes with. It checks `id`, `type` and `value` with
 * the protocol's rules and fills the metadata of a new row; `clientId` names the writing client.
 */
export function entitySchema<V extends object>(clientId: () => string | null): EntitySchema<V> {
  return {
    '~standard': {
      version: 1,
      vendor: 'lumenize',
      validate(input) {
        if (!isJsonObject(input)) return { issues: [{ message: 'a row must be an object' }] }
        const issues: EntityIssue[] = []
        const id = input.id === undefined ? crypto.randomUUID() : normalizeId(input.id)
        if (id === undefined) issues.push({ message: 'id must be a UUID', path: ['id'] })
        if (!v.is(TypeNameSchema, input.type))
          issues.push({ message: 'type must be a type name', path: ['type'] })
        if (!isJsonObject(input.value))
          issues.push({ message: 'value must be a JSON object', path: ['value'] })
        if (issues.length > 0 || id === undefined) return { issues }
        const row: EntityRow<V> = {
          version: 0,
          validFrom: Date.now(),
          validTo: END_OF_TIME,
          deleted: false,
          clientId: clientId(),
          mutationId: null,
          ...(input as Partial<EntityRow<V>>),
          id,
          type: input.type as string,
          value: input.value as V,
        }
        return { value: row }
      },
    },
  }
}

/** A row without TanStack DB's virtual `$…` props (for the wire and for IndexedDB). */
export function stripVirtual<V extends object>(row: EntityRow<V>): EntityRow<V> {
  const out: Record<string, unknown> = {}
  for (const [k, val] of Object.entries(row)) if (!k.startsWith('$')) out[k] = val
  return out as unknown as EntityRow<V>
}
