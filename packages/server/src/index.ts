// @lumenize/server: build a Lumenize server. `createStarDO(defineConfig(...))` gives the Star
// Durable Object class; the default export is the Worker that routes requests to it.
//
// @example
// import { createStarDO, defineConfig } from '@lumenize/server'
// export class StarDO extends createStarDO(defineConfig({ types: { Task: { indexes: ['status'] } } })) {}
// export { default } from '@lumenize/server'
export { defineMutator, type MutatorDef, type MutatorTx, type ShapeSpec } from '@lumenize/protocol'
export {
  type AnyMutatorDef,
  type AuthResult,
  defineConfig,
  type EntityTypeConfig,
  type LumenizeConfig,
  type OpLogRetention,
  type StandardSchemaV1,
} from './config'
export type { Env } from './env'
export { LumenizeError } from './errors'
export { createStarDO, type StarDurableObject } from './star'
export { defineShape, type ShapeDef } from './sync/shapes'
export { default, default as worker } from './worker'
