// @lumenize/server: build a Lumenize server. `createStarDO(defineConfig(...))` gives the Star
// Durable Object class; the default export is the Worker that routes requests to it.
export { appConfig } from './app.config'
export { defineConfig, type EntityTypeConfig, type LumenizeConfig, type StandardSchemaV1 } from './config'
export type { Env } from './env'
export { LumenizeError } from './errors'
export { STAR_METHODS } from './rpc/methods'
export { createStarDO, type StarDurableObject } from './star'
export { default } from './worker'
