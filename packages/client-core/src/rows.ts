// Rows of every collection: entity snapshots. What an insert takes, how the client fills the rest,
// and the JSON Merge Patch helpers that turn an edited row into a `patch` mutation.
import { END_OF_TIME, type JsonObject } from '@lumenize/protocol'

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

/** A problem the entity schema found in a row. */
export interface EntityIssue {
  message: string
  path?: ReadonlyArray<PropertyKey>
}

/** The Standard Schema of entity rows: input is an `EntityInput`, output a full `EntityRow`. */
export interface EntitySchema<V extends object = JsonObject> {
  readonly '~standard': {
    readonly version: 1
    readonly vendor: 'lumenize'
    readonly validate: (
      value: unknown,
    ) => { readonly value: EntityRow<V>; readonly issues?: undefined } | { readonly issues: EntityIssue[] }
    readonly types?: { readonly input: EntityInput<V>; readonly output: EntityRow<V> } | undefined
  }
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

export const isUuid = (id: string): boolean => UUID_RE.test(id)

export const isPlainObject = (x: unknown): x is Record<string, unknown> =>
  typeof x === 'object' && x !== null && !Array.isArray(x)

/**
 * The schema every Lumenize collection validates writes with. It checks `id`, `type` and `value` and
 * fills the metadata of a new row; `clientId` names the writing client.
 */
export function entitySchema<V extends object>(clientId: () => string | null): EntitySchema<V> {
  return {
    '~standard': {
      version: 1,
      vendor: 'lumenize',
      validate(input) {
        if (!isPlainObject(input)) return { issues: [{ message: 'a row must be an object' }] }
        const issues: EntityIssue[] = []
        let id = input.id
        if (id === undefined) id = crypto.randomUUID()
        if (typeof id !== 'string' || !isUuid(id.toLowerCase()))
          issues.push({ message: 'id must be a UUID', path: ['id'] })
        if (typeof input.type !== 'string' || !/^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(input.type))
          issues.push({ message: 'type must be a type name', path: ['type'] })
        if (!isPlainObject(input.value))
          issues.push({ message: 'value must be a JSON object', path: ['value'] })
        if (issues.length > 0) return { issues }
        const row: EntityRow<V> = {
          version: 0,
          validFrom: Date.now(),
          validTo: END_OF_TIME,
          deleted: false,
          clientId: clientId(),
          mutationId: null,
          ...(input as Partial<EntityRow<V>>),
          id: (id as string).toLowerCase(),
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
  for (const [k, v] of Object.entries(row)) if (!k.startsWith('$')) out[k] = v
  return out as unknown as EntityRow<V>
}

/** RFC 7386: applies a merge patch (objects merge, `null` removes a key, anything else replaces). */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return patch
  const out: Record<string, unknown> = isPlainObject(target) ? { ...target } : {}
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k]
    else out[k] = mergePatch(out[k], v)
  }
  return out
}

/**
 * The merge patch that turns `before` into `after`, or undefined when they are equal. A key set to
 * `null` in `after` cannot be expressed (merge patch reads null as "remove") and becomes a removal.
 */
export function diffMergePatch(
  before: Record<string, unknown>,
  after: Record<string, unknown>,
): JsonObject | undefined {
  const patch: Record<string, unknown> = {}
  for (const k of Object.keys(before)) if (!(k in after)) patch[k] = null
  for (const [k, v] of Object.entries(after)) {
    const old = before[k]
    if (isPlainObject(old) && isPlainObject(v)) {
      const inner = diffMergePatch(old, v)
      if (inner !== undefined) patch[k] = inner
    } else if (!jsonEqual(old, v)) {
      patch[k] = v
    }
  }
  return Object.keys(patch).length === 0 ? undefined : (patch as JsonObject)
}

export function jsonEqual(a: unknown, b: unknown): boolean {
  return a === b || stableJson(a) === stableJson(b)
}

/** JSON with object keys sorted: equal params give equal strings (the server keys shapes the same way). */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`
  if (isPlainObject(value)) {
    const keys = Object.keys(value)
      .filter((k) => value[k] !== undefined)
      .sort()
    return `{${keys.map((k) => `${JSON.stringify(k)}:${stableJson(value[k])}`).join(',')}}`
  }
  return JSON.stringify(value) ?? 'null'
}
