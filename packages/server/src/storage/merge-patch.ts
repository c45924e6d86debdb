// JSON Merge Patch (RFC 7386): how `patch` merges a partial value into the current one.
import type { JsonObject, JsonValue } from '@lumenize/protocol'

function isObject(v: JsonValue | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** Returns a new object: nested objects merge, `null` removes a key, anything else replaces. */
export function mergePatch(target: JsonObject, patch: JsonObject): JsonObject {
  const out: JsonObject = { ...target }
  for (const [key, p] of Object.entries(patch)) {
    if (p === null) delete out[key]
    else if (isObject(p)) out[key] = mergePatch(isObject(out[key]) ? out[key] : {}, p)
    else out[key] = p
  }
  return out
}
