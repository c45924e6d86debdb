// Server configuration: the entity types of a star (validation, indexes, unique fields, references).
import {
  type ArgsSchema,
  isBuiltInMutator,
  isBuiltInShape,
  type MutatorTx,
  ORG_NODE_TYPE,
  type StandardSchemaV1,
} from '@lumenize/protocol'
import type { ShapeDef } from './sync/shapes'

export type { StandardSchemaV1 }

/** How one entity type behaves. Field names are dotted paths into the entity's value. */
export interface EntityTypeConfig {
  /** Validates every written value (after a patch is merged). */
  schema?: StandardSchemaV1
  /** Fields to index with real SQLite expression indexes, for fast `where` on current state. */
  indexes?: readonly string[]
  /** Fields whose value must be unique among the current entities of this type. */
  unique?: readonly string[]
  /**
   * Fields that hold the id (or an array of ids) of other entities, mapped to the referenced type
   * (or `'*'` for any type). The referenced entity must exist when written; a referenced entity
   * cannot be deleted while referenced.
   */
  references?: Readonly<Record<string, string>>
  /**
   * The field holding the OrgTree node id(s) this entity is attached to. `under` queries and
   * subtree shapes find the entity through it.
   */
  attachTo?: string
}

/** A mutator as the config holds it (its args type erased). */
export interface AnyMutatorDef {
  args: ArgsSchema<unknown>
  run: (tx: MutatorTx, args: never) => void
}

/** Who a connection or request acts as; returned by `authenticate`. */
export interface AuthResult {
  subject: string
}

/** How long the op-log keeps entries. A cookie older than what is kept gets a full re-seed. */
export interface OpLogRetention {
  /** Keep at least this many of the latest entries (default 100,000). */
  keepCount?: number
  /** Also keep entries younger than this many ms (default 7 days). */
  keepMs?: number
}

/** The whole configuration of a star. */
export interface LumenizeConfig {
  types: Readonly<Record<string, EntityTypeConfig>>
  /** Named, parameterized shapes clients may subscribe to (besides the built-in `entities` and `orgTree`). */
  shapes?: readonly ShapeDef[]
  /** Custom mutators, shared with the client (besides the built-in upsert, patch, delete, transaction). */
  mutators?: Readonly<Record<string, AnyMutatorDef>>
  opLog?: OpLogRetention
  /**
   * Checks the token of a connection (and, later, of every HTTP call). Return null to refuse.
   * The default accepts every token; access control comes with grants.
   */
  authenticate?: (token: string | undefined, star: string) => AuthResult | null
}

const FIELD_RE = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/
const TYPE_RE = /^[A-Za-z][A-Za-z0-9_]{0,63}$/

/** The built-in OrgNode type: slug unique in the star, a name, and child edges. */
export const ORG_NODE_CONFIG: EntityTypeConfig = { unique: ['slug'], indexes: ['slug'] }

/**
 * Checks a configuration and adds the built-in types. Throws on a malformed one, at startup.
 *
 * @example
 * export default defineConfig({ types: { Task: { indexes: ['status'], attachTo: 'nodes' } } })
 */
export function defineConfig(config: LumenizeConfig): LumenizeConfig {
  const types: Record<string, EntityTypeConfig> = { ...config.types }
  if (types[ORG_NODE_TYPE]) throw new Error(`${ORG_NODE_TYPE} is built in: do not declare it`)
  types[ORG_NODE_TYPE] = ORG_NODE_CONFIG
  for (const [name, t] of Object.entries(types)) {
    if (!TYPE_RE.test(name)) throw new Error(`Type name "${name}" must be a letter then letters, digits or _`)
    const fields = [...(t.indexes ?? []), ...(t.unique ?? []), ...Object.keys(t.references ?? {})]
    if (t.attachTo) fields.push(t.attachTo)
    for (const f of fields) {
      if (!FIELD_RE.test(f))
        throw new Error(`Field "${f}" of type ${name} must be a dotted path of identifiers`)
    }
    for (const [field, target] of Object.entries(t.references ?? {})) {
      if (target !== '*' && !(target in types)) {
        throw new Error(`Type ${name}.${field} references unknown type ${target}`)
      }
    }
  }
  const shapes = config.shapes ?? []
  const names = new Set<string>()
  for (const shape of shapes) {
    if (names.has(shape.name) || isBuiltInShape(shape.name)) {
      throw new Error(`Shape "${shape.name}" is declared twice (entities and orgTree are built in)`)
    }
    names.add(shape.name)
  }
  for (const name of Object.keys(config.mutators ?? {})) {
    if (isBuiltInMutator(name)) throw new Error(`Mutator "${name}" is built in`)
  }
  return { ...config, types }
}
