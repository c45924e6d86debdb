// Bindings the Worker and the Star DO receive from wrangler.jsonc.
import type { StarDO } from './star'

export interface Env {
  STAR: DurableObjectNamespace<StarDO>
}
