// @lumenize/protocol: every wire message and protocol constant of Lumenize.
export * from './constants'
export * from './errors'
export * from './health'
export * from './star-id'
