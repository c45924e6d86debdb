// @lumenize/server: the Worker entry and the Star Durable Object.
export type { Env } from './env'
export { StarDO } from './star'
export { default } from './worker'
