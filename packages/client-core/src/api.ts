// The public API of a client: what `createClient` takes and what it returns. The composition
// root that builds it is client.ts.
import type { EntitySnapshot, JsonObject, PushedWriteOp } from '@lumenize/protocol'
import type { Transaction } from '@tanstack/db'
import type { LocalOptions, LocalUtils } from './collections/local'
import type { AnyMutatorDef, MutatorsRecord } from './collections/optimistic'
import type { ShapeOptions } from './collections/shape'
import type { EntityCollection, ShapeUtils } from './collections/types'
import type { LumenizeClientError } from './errors'
import type { TransportMode } from './hub/mode'
import type { SharedWorkerSpawner } from './hub/tab-client'
import type { HeartbeatOptions } from './lifecycle/connection'
import type { NetworkSignals } from './lifecycle/network'
import type { StatusStore } from './status'
import type { InstantLike } from './temporal'
import type { ReconnectOptions, Transport, WebSocketLike } from './transport'

export type { AnyMutatorDef, MutatorsRecord }

/** The args type of a mutator definition. */
export type MutatorArgs<M> = M extends { run: (tx: never, args: infer A) => void } ? A : never

/** The built-in mutators of every star. */
export interface BuiltInMutate {
  upsert(args: { id: string; type: string; value: JsonObject; ifMatch?: number }): Promise<void>
  patch(args: { id: string; value: JsonObject; ifMatch?: number }): Promise<void>
  delete(args: { id: string; ifMatch?: number }): Promise<void>
  transaction(args: { ops: PushedWriteOp[] }): Promise<void>
}

/** `client.mutate`: one function per mutator, resolving when the server confirms. */
export type Mutate<M extends MutatorsRecord> = BuiltInMutate & {
  readonly [K in keyof M]: (args: MutatorArgs<M[K]>) => Promise<void>
}

export interface ClientOptions<M extends MutatorsRecord = Record<never, never>> {
  /** The server's origin, e.g. `http://127.0.0.1:8787` (http → ws for the socket). */
  url: string
  /** The star, `universe.galaxy.star`. */
  star: string
  /** Sent in `connect` and as `Authorization: Bearer` on RPC; a function is called on every (re)connect. */
  token?: string | (() => string | Promise<string>)
  /** Where rows, cookies and the pending queue live. 'indexeddb' falls back to memory when unavailable. */
  persistence: 'indexeddb' | 'memory'
  /**
   * Names the cache database and the server's client group (default: one group per browser profile,
   * its id stored in the cache). Every client of a group shares the cache; each has its own clientId.
   */
  clientGroupId?: string
  /** Custom mutators shared with the server (`defineMutator`), run optimistically here. */
  mutators?: M
  /**
   * How tabs share a socket and a cache (default `'auto'`): `'sharedworker'` (one SharedWorker holds
   * them for every tab; needs `sharedWorker`), `'leader'` (the tabs elect one that holds them),
   * `'socket'` (this client's own), or a Transport of your own. `'auto'` picks a SharedWorker on
   * Chromium-based browsers (desktop, and Android from Chrome 148) when `sharedWorker` is given, the
   * leader election on Safari and elsewhere in a browser, and a socket of its own in Node or with
   * `persistence: 'memory'`.
   */
  transport?: TransportMode | Transport
  /**
   * Starts the SharedWorker that hosts the hub: `sharedWorker` from `@lumenize/sharedworker`
   * (Vite and other bundlers load its script with no configuration).
   */
  sharedWorker?: SharedWorkerSpawner
  /**
   * This app's build (e.g. a git sha): a hub serves tabs of its own build only. When a tab of a newer
   * build starts its hub, the older hub pushes what it holds and its tabs reload, once.
   */
  buildId?: string
  /** Called instead of reloading when a newer build took over the hub (show a banner, say). */
  onNewBuild?: (buildId: string) => void
  /** How long a hub keeps a shape no tab uses any more (default 30 s): a reload finds it warm. */
  releaseAfterMs?: number
  /** A WebSocket class for runtimes without one (Node 20: `ws`). */
  WebSocket?: WebSocketLike
  reconnect?: ReconnectOptions
  /** When a quiet socket is pinged, and how long an answer may take (default 4 s and 4 s). */
  heartbeat?: HeartbeatOptions
  /** The runtime's online/offline signals (default: the browser's `online`/`offline` events). */
  network?: NetworkSignals
  /** Rows per IndexedDB record (default 500). */
  rowsPerChunk?: number
  /**
   * Hears every error that no caller handles: cache fallbacks, rejected collection edits, rejected
   * mutations of a closed client pushed by this one, server errors, and rejected `mutate`, `rpc`,
   * `history` and `asOf` calls whose promise nobody awaits.
   */
  onError?: (error: LumenizeClientError) => void
}

export interface LumenizeClient<M extends MutatorsRecord = Record<never, never>> {
  /** State, reason, pending, oldest pending, last sync, source, persistence, last error. */
  readonly status: StatusStore
  /**
   * Settles when the cache is open, cached shapes are shown and the socket starts connecting (through
   * a hub: once the hub has seeded the shapes asked for so far, from its memory or its cache, or 2 s).
   */
  readonly ready: Promise<void>
  /** This client's id: its own for as long as it lives (one per tab), never shared. */
  readonly clientId: string
  /**
   * A live collection of a shape. The same (name, params) gives the same collection; each call is an
   * acquisition, given back with `collection.utils.release()`.
   *
   * @example
   * const tasks = client.shape<{ title: string }>('entities', { type: 'Task' })
   * tasks.insert({ type: 'Task', value: { title: 'Ship it' } })
   */
  shape<V extends object = JsonObject>(
    name: string,
    params?: Record<string, unknown>,
    options?: ShapeOptions,
  ): EntityCollection<V, ShapeUtils>
  /**
   * A local-only collection with the same rows and API as a shape, kept on this device.
   *
   * @example const drafts = client.local<{ text: string }>('drafts')
   */
  local<V extends object = JsonObject>(
    name: string,
    options?: LocalOptions<V>,
  ): EntityCollection<V, LocalUtils>
  /** Runs a mutator optimistically and pushes it; resolves when confirmed, rejects with the server's error. */
  readonly mutate: Mutate<M>
  /** The `mutationFn` of a manual `createTransaction` over Lumenize collections: one atomic mutation. */
  push(transaction: Pick<Transaction, 'mutations'>): Promise<void>
  /** Every snapshot of an entity, oldest first (from the server). */
  history(id: string, range?: { from?: InstantLike; to?: InstantLike }): Promise<EntitySnapshot[]>
  /** A built-in shape's rows as of an instant (from the server). */
  asOf(shape: string, params: Record<string, unknown>, at: InstantLike): Promise<EntitySnapshot[]>
  /** Any JSON-RPC method of the star. */
  rpc(method: string, params?: Record<string, unknown> | unknown[]): Promise<unknown>
  /** Closes the socket, finishes cache writes and closes the database. Pending mutations stay queued. */
  close(): Promise<void>
}
