// Bindings the Worker and the Star DO receive from wrangler.jsonc.
import type { StarDurableObject } from './star'

export interface Env {
  STAR: DurableObjectNamespace<StarDurableObject>
  /** "1" enables test-only RPC methods (star.instance). Never set in production. */
  LUMENIZE_TEST_HOOKS?: string
}
