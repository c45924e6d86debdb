// JSON rules both sides apply the same way: JSON Merge Patch (RFC 7386), the merge patch between two
// values, and stable JSON (sorted keys), by which equal params name the same shape everywhere.
import type { JsonObject, JsonValue } from './entity'

/** A JSON object: not null, not an array. */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * Applies a JSON Merge Patch (RFC 7386) and returns a new value: objects merge key by key, `null`
 * removes a key, anything else (arrays included) replaces. The inputs are never modified.
 *
 * @example mergePatch({ a: 1, b: { c: 2 } }, { b: { c: null, d: 3 } }) // { a: 1, b: { d: 3 } }
 */
export function mergePatch(target: JsonObject, patch: JsonObject): JsonObject
export function mergePatch(target: unknown, patch: unknown): unknown
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isJsonObject(patch)) return patch
  const out: Record<string, unknown> = isJsonObject(target) ? { ...target } : {}
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key]
    else out[key] = mergePatch(out[key], value)
  }
  return out
}

/**
 * The merge patch that turns `before` into `after`, or undefined when they are equal. Merge patch
 * reads `null` as "remove", so a key whose value becomes `null` in `after` is removed instead.
 *
 * @example diffMergePatch({ a: 1, b: 2 }, { a: 1, c: 3 }) // { b: null, c: 3 }
 */
export function diffMergePatch(
  before: Readonly<Record<string, unknown>>,
  after: Readonly<Record<string, unknown>>,
): JsonObject | undefined {
  const patch: Record<string, JsonValue> = {}
  for (const key of Object.keys(before)) if (!Object.hasOwn(after, key)) patch[key] = null
  for (const [key, value] of Object.entries(after)) {
    const old = before[key]
    if (isJsonObject(old) && isJsonObject(value)) {
      const inner = diffMergePatch(old, value)
      if (inner !== undefined) patch[key] = inner
    } else if (!jsonEqual(old, value)) {
      patch[key] = value as JsonValue
    }
  }
  return Object.keys(patch).length === 0 ? undefined : patch
}

/** Whether two values have the same JSON, whatever the order of their keys. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  return a === b || stableJson(a) === stableJson(b)
}

/**
 * JSON with object keys sorted (by UTF-16 code units) and `undefined` members left out, so equal
 * values give equal strings: the key of a shape is its name and the stable JSON of its params.
 *
 * @example stableJson({ b: 1, a: [true, null] }) // '{"a":[true,null],"b":1}'
 */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`
  if (isJsonObject(value)) {
    const keys = Object.keys(value)
      .filter((k) => value[k] !== undefined)
      .sort()
    return `{${keys.map((k) => `${JSON.stringify(k)}:${stableJson(value[k])}`).join(',')}}`
  }
  return JSON.stringify(value) ?? 'null'
}

/**
 * Reads a dotted field (`a.b`) of a JSON object: undefined when a step is missing or not an object.
 * Config fields (indexes, references, attachTo) are dotted keys only, never array indexes.
 */
export function readField(value: JsonObject, field: string): JsonValue | undefined {
  let current: JsonValue | undefined = value
  for (const key of field.split('.')) {
    if (!isJsonObject(current)) return undefined
    current = Object.hasOwn(current, key) ? (current as JsonObject)[key] : undefined
  }
  return current
}
