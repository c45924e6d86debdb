// Entity types at run time: value validation, expression indexes and unique fields.
import {
  describeIssues,
  END_OF_TIME,
  ErrorKind,
  type JsonObject,
  readField,
  validateSync,
} from '@lumenize/protocol'
import type { EntityTypeConfig, LumenizeConfig } from '../config'
import { LumenizeError, unknownType, validationError } from '../errors'

/** The largest value an entity may hold, as JSON: a poke of one entity must fit in a frame. */
export const MAX_VALUE_BYTES = 256 * 1024
const MAX_DEPTH = 64

/** The JSON path literal of a validated dotted field, e.g. `'$.a.b'`. */
export const jsonPath = (field: string): string => `'$.${field}'`

function checkShape(v: unknown, depth: number, path: string): void {
  if (depth > MAX_DEPTH) throw validationError(`Value nests deeper than ${MAX_DEPTH} levels at ${path}`)
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw validationError(`Value at ${path} is not a finite number`)
    return
  }
  if (Array.isArray(v)) {
    for (const [i, x] of v.entries()) checkShape(x, depth + 1, `${path}[${i}]`)
    return
  }
  if (typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      if (k === '__proto__') throw validationError(`Key "__proto__" is not allowed (at ${path})`)
      checkShape(x, depth + 1, `${path}.${k}`)
    }
    return
  }
  throw validationError(`Value at ${path} is not JSON`)
}

export class TypeRegistry {
  constructor(
    private readonly config: LumenizeConfig,
    private readonly sql: SqlStorage,
  ) {}

  names(): string[] {
    return Object.keys(this.config.types)
  }

  has(type: string): boolean {
    return Object.hasOwn(this.config.types, type)
  }

  /** The declared types as plain data (for `star.types`, docs and tools). */
  describe(): Array<{
    name: string
    indexes: readonly string[]
    unique: readonly string[]
    references: Readonly<Record<string, string>>
    attachTo: string | null
    validated: boolean
  }> {
    return Object.entries(this.config.types).map(([name, t]) => ({
      name,
      indexes: t.indexes ?? [],
      unique: t.unique ?? [],
      references: t.references ?? {},
      attachTo: t.attachTo ?? null,
      validated: t.schema !== undefined,
    }))
  }

  /** The config of a declared type; unknown types are refused with the list of known ones. */
  get(type: string): EntityTypeConfig {
    const t = this.has(type) ? this.config.types[type] : undefined
    if (!t) throw unknownType(type, this.names())
    return t
  }

  /** Checks a value to be written: a JSON object within limits that passes the type's schema. */
  validate(type: string, value: JsonObject): JsonObject {
    const t = this.get(type)
    checkShape(value, 0, '$')
    // Bytes of UTF-8, not UTF-16 characters: the limit keeps an entity within a frame.
    const size = new TextEncoder().encode(JSON.stringify(value)).byteLength
    if (size > MAX_VALUE_BYTES) {
      throw new LumenizeError(
        ErrorKind.payloadTooLarge,
        `Value is ${size} bytes; the limit is ${MAX_VALUE_BYTES}`,
        {
          size,
          limit: MAX_VALUE_BYTES,
        },
      )
    }
    if (!t.schema) return value
    const result = validateSync(t.schema, value, `type ${type}`)
    if (!result.ok) {
      const issues = result.issues.map((i) => ({ message: i.message, path: i.path }))
      throw validationError(`${type} value is invalid: ${describeIssues(result.issues)}`, { type, issues })
    }
    return result.value as JsonObject
  }

  /** Refuses a value whose unique fields are already taken by another current entity of the type. */
  checkUnique(type: string, id: string, value: JsonObject): void {
    for (const field of this.get(type).unique ?? []) {
      const v = readField(value, field)
      if (v === undefined || v === null || typeof v === 'object') continue
      const jsonType =
        typeof v === 'string' ? "= 'text'" : typeof v === 'number' ? "IN ('integer', 'real')" : `= '${v}'`
      const taken = this.sql
        .exec<{ id: string }>(
          `SELECT id FROM snapshots WHERE type = '${type}' AND valid_to = ${END_OF_TIME} AND deleted = 0
           AND json_extract(value, ${jsonPath(field)}) = ? AND json_type(value, ${jsonPath(field)}) ${jsonType}
           AND id != ? LIMIT 1`,
          typeof v === 'boolean' ? Number(v) : v,
          id,
        )
        .toArray()[0]
      if (taken) {
        throw new LumenizeError(
          ErrorKind.unique,
          `${type}.${field} = ${JSON.stringify(v)} is already used by ${taken.id}`,
          {
            type,
            field,
            value: v,
            id: taken.id,
          },
        )
      }
    }
  }

  /** Creates the expression indexes the config asks for and drops the ones it no longer does. */
  ensureIndexes(): void {
    const wanted = new Map<string, string>()
    const partial = (type: string): string => `WHERE type = '${type}' AND valid_to = ${END_OF_TIME}`
    for (const [type, t] of Object.entries(this.config.types)) {
      for (const field of new Set([...(t.indexes ?? []), ...(t.unique ?? [])])) {
        const name = `ix_${type}_${field.replaceAll('.', '__')}`
        wanted.set(
          name,
          `CREATE INDEX IF NOT EXISTS "${name}" ON snapshots (json_extract(value, ${jsonPath(field)})) ${partial(type)}`,
        )
        // Filters match a value or an array holding it; indexing the JSON type too lets SQLite
        // answer both branches from indexes (OR by union) instead of scanning the type.
        wanted.set(
          `${name}__type`,
          `CREATE INDEX IF NOT EXISTS "${name}__type" ON snapshots (json_type(value, ${jsonPath(field)})) ${partial(type)}`,
        )
      }
    }
    const existing = this.sql
      .exec<{ name: string }>(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'ix\\_%' ESCAPE '\\'",
      )
      .toArray()
      .map((r) => r.name)
    for (const name of existing) if (!wanted.has(name)) this.sql.exec(`DROP INDEX "${name}"`)
    for (const ddl of wanted.values()) this.sql.exec(ddl)
  }
}
