// @lumenize/sharedworker: the SharedWorker host (one socket, one cache for all tabs).
// Built on the client-core transport interface; this package is laid down by the foundation
// and filled in by its own issue.
export const SHAREDWORKER_NAME = 'lumenize'
