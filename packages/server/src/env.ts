// Bindings the Worker and the Star DO receive from wrangler.jsonc.
import type { StarDurableObject } from './star'

export interface Env {
  STAR: DurableObjectNamespace<StarDurableObject>
}
