// @lumenize/sharedworker: one SharedWorker per origin, star and build holds the socket, the
// IndexedDB cache and every tab's pending queue for all tabs (see README.md). Pass `sharedWorker` to
// client-core's createClient; without it, tabs elect a leader tab that does the same.
import type { SharedWorkerLike, SharedWorkerSpawner } from '@lumenize/client-core'

/**
 * Starts (or joins, when one of that name runs) the hub's SharedWorker.
 *
 * @example
 * import { createClient } from '@lumenize/client-core'
 * import { sharedWorker } from '@lumenize/sharedworker'
 * const client = createClient({ url, star, persistence: 'indexeddb', sharedWorker })
 */
export const sharedWorker: SharedWorkerSpawner = (name: string): SharedWorkerLike =>
  new SharedWorker(new URL('./worker.ts', import.meta.url), { type: 'module', name })
