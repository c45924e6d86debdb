// The client's sync status as a subscribable store (subscribe / getSnapshot, the shape React's
// useSyncExternalStore and Svelte's stores expect). The connection part comes from the lifecycle
// machine (lifecycle/machine.ts); the rest from the pending queue and the cache.
import type { Temporal } from '@js-temporal/polyfill'
import type { LumenizeClientError } from './errors'
import type { ConnectionState, OfflineReason } from './lifecycle/machine'

/** What `client.status.getSnapshot()` returns. A new object on every change, the same one otherwise. */
export interface ClientStatus {
  /** Where the connection is (see SPEC.md): connecting, syncing, synced, offline, needsAuth, ... */
  state: ConnectionState
  /** Why `state` is `offline` (null otherwise). */
  reason: OfflineReason | null
  /** Mutations written locally and not yet confirmed (or rejected) by the server. */
  pending: number
  /** When the oldest of them was made: a confirmation that is slow shows here, not as a lost row. */
  oldestPendingAt: Temporal.Instant | null
  /** When rows from the server were last applied (kept with the cache); null: never synced. */
  lastSyncedAt: Temporal.Instant | null
  /** Where the rows shown come from: the cache until the server has caught this client up once. */
  source: 'cache' | 'server'
  /** Where the cache lives now: 'memory' when IndexedDB was refused, unavailable or over quota. */
  persistence: 'indexeddb' | 'memory'
  /** The last error the client reported (also passed to `onError`). */
  error: LumenizeClientError | null
}

/** A readable store: call `subscribe` to hear of changes, `getSnapshot` to read. */
export interface StatusStore {
  /** @returns a function that unsubscribes */
  subscribe(listener: () => void): () => void
  getSnapshot(): ClientStatus
}

/** The writable store behind `client.status`. */
export class StatusController implements StatusStore {
  private snapshot: ClientStatus
  private readonly listeners = new Set<() => void>()

  constructor(persistence: ClientStatus['persistence']) {
    this.snapshot = {
      state: 'connecting',
      reason: null,
      pending: 0,
      oldestPendingAt: null,
      lastSyncedAt: null,
      source: 'cache',
      persistence,
      error: null,
    }
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener)
    return () => {
      this.listeners.delete(listener)
    }
  }

  getSnapshot = (): ClientStatus => this.snapshot

  /** Changes some fields; listeners hear of it only when something changed. */
  set(patch: Partial<ClientStatus>): void {
    let changed = false
    for (const [k, v] of Object.entries(patch) as Array<[keyof ClientStatus, unknown]>) {
      if (!same(this.snapshot[k], v)) changed = true
    }
    if (!changed) return
    this.snapshot = { ...this.snapshot, ...patch }
    for (const l of [...this.listeners]) l()
  }
}

/** Instants are compared by value: a status with an equal `lastSyncedAt` is not a change. */
function same(a: unknown, b: unknown): boolean {
  if (a === b) return true
  const ms = (x: unknown): number | undefined =>
    typeof x === 'object' && x !== null && 'epochMilliseconds' in x ? Number(x.epochMilliseconds) : undefined
  const am = ms(a)
  return am !== undefined && am === ms(b)
}
