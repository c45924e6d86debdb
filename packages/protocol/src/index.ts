// @lumenize/protocol: every wire message and protocol constant of Lumenize.
export * from './constants'
export * from './entity'
export * from './errors'
export * from './filter'
export * from './health'
export * from './jsonrpc'
export * from './star-id'
