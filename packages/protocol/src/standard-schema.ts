// Standard Schema (https://standardschema.dev) validation, done one way for every schema Lumenize
// is given: entity type schemas, mutator args, shape params. Lumenize validates synchronously.
import type { StandardSchemaV1 } from '@standard-schema/spec'

export type { StandardSchemaV1 }

/** One problem a schema found, its path flattened to dotted keys (`items.0.title`, '' for the root). */
export interface SchemaIssue {
  path: string
  message: string
}

export type SyncValidation<T> = { ok: true; value: T } | { ok: false; issues: SchemaIssue[] }

/** A schema that returns a Promise: Lumenize runs inside one Durable Object turn and cannot wait. */
export class AsyncSchemaError extends Error {
  override readonly name = 'AsyncSchemaError'
  constructor(what: string) {
    super(`The schema of ${what} is async; Lumenize validates synchronously, use a sync schema`)
  }
}

/**
 * Validates a value with any Standard Schema (valibot, zod, arktype...). `what` names the schema's
 * owner in the error thrown for an async schema.
 *
 * @example
 * const r = validateSync(v.object({ title: v.string() }), input, 'mutator addTask')
 * if (!r.ok) console.log(r.issues) // [{ path: 'title', message: '...' }]
 */
export function validateSync<T>(
  schema: StandardSchemaV1<unknown, T>,
  value: unknown,
  what: string,
): SyncValidation<T> {
  const result = schema['~standard'].validate(value)
  if (result instanceof Promise) {
    // Nobody awaits it: keep a rejection from going unhandled.
    result.then(undefined, () => undefined)
    throw new AsyncSchemaError(what)
  }
  if (result.issues === undefined) return { ok: true, value: result.value }
  return { ok: false, issues: result.issues.map((i) => ({ path: issuePath(i), message: i.message })) }
}

/** `a.b.0`: the path of an issue, its segments (keys or `{ key }` objects) joined with dots. */
export function issuePath(issue: StandardSchemaV1.Issue): string {
  return (issue.path ?? []).map((p) => String(typeof p === 'object' && p !== null ? p.key : p)).join('.')
}

/** The issues as one line: `title: Invalid length; $: ...` (`$` for the root). */
export function describeIssues(issues: readonly SchemaIssue[]): string {
  return issues.map((i) => `${i.path || '$'}: ${i.message}`).join('; ')
}
