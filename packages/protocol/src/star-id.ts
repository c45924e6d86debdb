// Star ids name a tenant: `universe.galaxy.star`, each part a lowercase DNS-like label.

const LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?'
const STAR_ID_RE = new RegExp(`^${LABEL}\\.${LABEL}\\.${LABEL}$`)

/** A validated star id such as `acme.prod.main`. */
export type StarId = string & { readonly __brand: 'StarId' }

/**
 * Checks a star id: three dot-separated labels of lowercase letters, digits and inner hyphens.
 *
 * @example isStarId('acme.prod.main') // true
 */
export function isStarId(value: string): value is StarId {
  return value.length <= 190 && STAR_ID_RE.test(value)
}
