// What every sync operation works with; built once per Star by the engine.
import type { LumenizeConfig } from '../config'
import type { Store } from '../storage/store'
import type { Mutators } from './mutators'
import type { PokeFanout } from './pokes'
import type { Retention } from './retention'
import type { Sessions } from './sessions'
import type { ShapeRegistry } from './shapes'

export interface SyncContext {
  readonly store: Store
  readonly config: LumenizeConfig
  readonly shapes: ShapeRegistry
  readonly sessions: Sessions
  readonly mutators: Mutators
  readonly pokes: PokeFanout
  readonly retention: Retention
}
