// The client's sync status as a subscribable store (subscribe / getSnapshot, the shape React's
// useSyncExternalStore and Svelte's stores expect), and the connection state machine.
import type { Temporal } from '@js-temporal/polyfill'
import type { LumenizeClientError } from './errors'
import { toInstant } from './temporal'

export type ConnectionState = 'connecting' | 'online' | 'offline'

/** What `client.status.getSnapshot()` returns. A new object on every change, equal otherwise. */
export interface ClientStatus {
  connection: ConnectionState
  /** Mutations written locally and not yet confirmed (or rejected) by the server. */
  pending: number
  /** When the last poke from the server was applied; null before the first. */
  lastSyncedAt: Temporal.Instant | null
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

/** Events that move the connection. */
export type ConnectionEvent = 'socketOpen' | 'connected' | 'socketClosed' | 'close'

/** Every state answers every event (the compiler checks the table is complete). */
export const CONNECTION_TRANSITIONS: Record<ConnectionState, Record<ConnectionEvent, ConnectionState>> = {
  connecting: { socketOpen: 'connecting', connected: 'online', socketClosed: 'offline', close: 'offline' },
  online: { socketOpen: 'online', connected: 'online', socketClosed: 'offline', close: 'offline' },
  offline: { socketOpen: 'connecting', connected: 'online', socketClosed: 'offline', close: 'offline' },
}

/** The writable store behind `client.status`. */
export class StatusController implements StatusStore {
  private snapshot: ClientStatus
  private readonly listeners = new Set<() => void>()

  constructor(persistence: ClientStatus['persistence']) {
    this.snapshot = { connection: 'connecting', pending: 0, lastSyncedAt: null, persistence, error: null }
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener)
    return () => {
      this.listeners.delete(listener)
    }
  }

  getSnapshot = (): ClientStatus => this.snapshot

  /** Moves the connection through the state machine. */
  dispatch(event: ConnectionEvent): void {
    this.set({ connection: CONNECTION_TRANSITIONS[this.snapshot.connection][event] })
  }

  setPending(pending: number): void {
    this.set({ pending })
  }

  synced(now = Date.now()): void {
    this.set({ lastSyncedAt: toInstant(now) })
  }

  set(patch: Partial<ClientStatus>): void {
    let changed = false
    for (const [k, v] of Object.entries(patch) as Array<[keyof ClientStatus, unknown]>) {
      if (this.snapshot[k] !== v) changed = true
    }
    if (!changed) return
    this.snapshot = { ...this.snapshot, ...patch }
    for (const l of [...this.listeners]) l()
  }
}
