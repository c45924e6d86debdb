// Entity ids: the one UUID check of Lumenize, shared by the server, its params schemas and clients.
import * as v from 'valibot'

/** A UUID in canonical lowercase form (any RFC 4122 layout and version). */
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

/**
 * Whether a string is an entity id as stored: a lowercase UUID. Ids from the outside are lowercased
 * first (EntityIdSchema, `normalizeId`); stored ids never need it.
 *
 * @example isUuid('0b6f3c1e-8d2a-4f4e-9c3b-2a1d5e6f7a8b') // true
 */
export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID_RE.test(value)
}

/** An id as given (any case) in its stored form, or undefined when it is no UUID. */
export function normalizeId(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined
  const id = value.toLowerCase()
  return UUID_RE.test(id) ? id : undefined
}

/** An entity id: a UUID in lowercase (v4 recommended; any RFC 4122 layout is accepted). */
export const EntityIdSchema = v.pipe(
  v.string(),
  v.toLowerCase(),
  v.regex(UUID_RE, 'must be a UUID like 0b6f3c1e-8d2a-4f4e-9c3b-2a1d5e6f7a8b'),
)
