// createClient: wires the store, the pending queue, the sync session and the collections together,
// and exposes the public API (shape, local, mutate, push, history, asOf, status, close).
import type { EntitySnapshot, JsonObject, MutatorTx, WriteOp } from '@lumenize/protocol'
import { createTransaction, type PendingMutation, type Transaction } from '@tanstack/db'
import type { ClientStore } from './cache/store'
import { openStore } from './cache/store'
import { createLocalCollection, type LocalOptions, type LocalUtils } from './collections/local'
import {
  type EntityCollection,
  type ShapeHost,
  type ShapeOptions,
  ShapeSubscription,
  type ShapeUtils,
  shapeKeyOf,
} from './collections/shape'
import { BUILT_IN_RUNNERS, collectionTx, toServerMutation } from './collections/writes'
import {
  CacheUnavailableError,
  CacheWriteError,
  ClientClosedError,
  type LumenizeClientError,
  MutationRejectedError,
} from './errors'
import type { EntityRow } from './rows'
import { asOf, history, rpcCaller } from './rpc'
import { StatusController, type StatusStore } from './status'
import { PendingQueue } from './sync/pending'
import { SyncSession } from './sync/session'
import type { InstantLike } from './temporal'
import { partySocketTransport, type ReconnectOptions, type Transport, type WebSocketLike } from './transport'

/** A mutator as `createClient` takes it: what `defineMutator` returns, its args type kept. */
export interface AnyMutatorDef {
  readonly args: { readonly '~standard': { readonly validate: (value: unknown) => unknown } }
  readonly run: (tx: MutatorTx, args: never) => void
}

export type MutatorsRecord = Readonly<Record<string, AnyMutatorDef>>

type ArgsOf<M> = M extends { run: (tx: MutatorTx, args: infer A) => void } ? A : never

/** The built-in mutators of every star. */
export interface BuiltInMutate {
  upsert(args: { id: string; type: string; value: JsonObject; ifMatch?: number }): Promise<void>
  patch(args: { id: string; value: JsonObject; ifMatch?: number }): Promise<void>
  delete(args: { id: string; ifMatch?: number }): Promise<void>
  transaction(args: { ops: WriteOp[] }): Promise<void>
}

/** `client.mutate`: one function per mutator, resolving when the server confirms. */
export type Mutate<M extends MutatorsRecord> = BuiltInMutate & {
  readonly [K in keyof M]: (args: ArgsOf<M[K]>) => Promise<void>
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
  /** Names the cache database and the server's client group; default: a stored random id. */
  clientGroupId?: string
  /** Custom mutators shared with the server (`defineMutator`), run optimistically here. */
  mutators?: M
  /** Replaces the default partysocket transport (e.g. a SharedWorker port). */
  transport?: Transport
  /** A WebSocket class for runtimes without one (Node 20: `ws`). */
  WebSocket?: WebSocketLike
  reconnect?: ReconnectOptions
  /** How long a mutation sent while online may wait for its confirmation (default 15 s). */
  confirmTimeoutMs?: number
  /** Rows per IndexedDB record (default 500). */
  rowsPerChunk?: number
  /** Hears every error that no caller awaits (cache fallback, replayed mutations, server errors). */
  onError?: (error: LumenizeClientError) => void
}

export interface LumenizeClient<M extends MutatorsRecord = Record<never, never>> {
  /** Connection, pending count, last sync, persistence, last error: `subscribe` / `getSnapshot`. */
  readonly status: StatusStore
  /** Settles when the cache is open, cached shapes are shown and the socket starts connecting. */
  readonly ready: Promise<void>
  /** This client's id (stored with the cache); null until `ready`. */
  readonly clientId: string | null
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

/**
 * Creates a client for one star.
 *
 * @example
 * const client = createClient({ url: 'http://127.0.0.1:8787', star: 'acme.prod.main', persistence: 'indexeddb' })
 * const docs = client.shape('entities', { type: 'Doc' })
 */
export function createClient<M extends MutatorsRecord = Record<never, never>>(
  options: ClientOptions<M>,
): LumenizeClient<M> {
  const instanceId = crypto.randomUUID().slice(0, 8)
  const status = new StatusController(options.persistence)
  const shapes = new Map<string, ShapeSubscription>()
  const locals = new Map<string, EntityCollection<JsonObject, LocalUtils>>()
  const mutators: MutatorsRecord = options.mutators ?? {}
  let store: ClientStore | undefined
  let identity: { clientId: string; clientGroupId: string } | undefined
  let closed = false
  let resolveStore!: (s: ClientStore) => void
  const storeReady = new Promise<ClientStore>((r) => {
    resolveStore = r
  })

  const report = (error: LumenizeClientError): void => {
    const patch: Parameters<StatusController['set']>[0] = { error }
    if (error instanceof CacheUnavailableError || error instanceof CacheWriteError)
      patch.persistence = 'memory'
    status.set(patch)
    options.onError?.(error)
  }

  const pending: PendingQueue = new PendingQueue({
    send: (mutations): boolean =>
      identity !== undefined && session.send({ type: 'push', clientId: identity.clientId, mutations }),
    timeoutMs: options.confirmTimeoutMs ?? 15_000,
    onCount: (n) => status.setPending(n),
    onError: report,
  })

  const transport =
    options.transport ??
    partySocketTransport({
      url: options.url,
      star: options.star,
      ...(options.WebSocket ? { WebSocket: options.WebSocket } : {}),
      ...(options.reconnect ? { reconnect: options.reconnect } : {}),
    })

  const session: SyncSession = new SyncSession({
    transport,
    pending,
    status,
    shapes: () => shapes.values(),
    identity: () => identity ?? { clientId: '', clientGroupId: '' },
    token: options.token,
    store: () => store,
    reportError: report,
  })

  const clientId = (): string | null => identity?.clientId ?? null

  /** The function that runs a mutator by name, with its args checked, or an error. */
  const runnerFor = (name: string, args: unknown): ((tx: MutatorTx) => void) | MutationRejectedError => {
    const builtIn = BUILT_IN_RUNNERS[name]
    if (builtIn) return (tx) => builtIn(tx, args)
    const def = Object.hasOwn(mutators, name) ? mutators[name] : undefined
    if (!def) return (): void => undefined
    const r = def.args['~standard'].validate(args) as { value?: unknown; issues?: Array<{ message: string }> }
    if (r instanceof Promise)
      throw new Error(`The args schema of mutator ${name} is async: use a synchronous one`)
    if (r.issues) {
      const issues = r.issues.map((i) => i.message)
      return new MutationRejectedError(
        'VALIDATION_FAILED',
        `Invalid args for ${name}: ${issues.join('; ')}`,
        { name, issues },
        0,
        name,
      )
    }
    return (tx) => def.run(tx, r.value as never)
  }

  /** Runs a mutator in an optimistic transaction over every live shape, queues it, waits for the server. */
  const runMutation = (name: string, args: unknown): Promise<void> => {
    if (closed) return Promise.reject(new ClientClosedError())
    const run = runnerFor(name, args)
    if (run instanceof MutationRejectedError) return Promise.reject(run)
    const targets = [...shapes.values()]
    const tx = createTransaction<EntityRow>({
      autoCommit: false,
      mutationFn: () => pending.enqueue(name, args).done,
    })
    let localError: unknown
    tx.mutate(() => {
      try {
        run(collectionTx(targets, () => shapes.values(), clientId()))
      } catch (err) {
        localError = err
      }
    })
    if (localError !== undefined || tx.mutations.length === 0) {
      // No optimistic effect (nothing loaded here, or the mutator threw locally): the server decides.
      if (tx.mutations.length > 0) tx.rollback()
      else void tx.commit()
      tx.isPersisted.promise.catch(() => undefined)
      return pending.enqueue(name, args).done
    }
    return tx.commit().then(() => undefined)
  }

  /** Shows queued mutations made before `shape` existed (or loaded at startup) on top of its rows. */
  const replayInto = (shape: ShapeSubscription): void => {
    for (const e of pending.entries()) {
      if (e.seq > shape.bornAtSeq) continue
      const run = runnerFor(e.name, e.args)
      if (run instanceof MutationRejectedError) continue
      const tx = createTransaction<EntityRow>({ autoCommit: false, mutationFn: () => e.done.promise })
      tx.mutate(() => {
        try {
          run(collectionTx([shape], () => shapes.values(), clientId()))
        } catch {
          // The server runs it for real; here it just shows no effect.
        }
      })
      tx.commit().catch(() => undefined)
    }
  }

  const push = (mutations: ReadonlyArray<PendingMutation<EntityRow>>): Promise<void> => {
    const synced = mutations.filter((m) => [...shapes.values()].some((s) => s.collection === m.collection))
    const server = toServerMutation(synced)
    // Queued synchronously, so ids follow the order in which edits were made.
    const done = server ? pending.enqueue(server.name, server.args).done : Promise.resolve()
    const localAccepts = [...locals.values()]
      .filter((c) => mutations.some((m) => m.collection === c))
      .map((c) => c.utils.acceptMutations({ mutations: mutations as unknown as Transaction['mutations'] }))
    return Promise.all([done, ...localAccepts]).then(() => undefined)
  }

  const host: ShapeHost = {
    instanceId,
    clientId,
    store: () => storeReady,
    hydrated(shape) {
      replayInto(shape)
      session.subscribe(shape)
    },
    detached(shape) {
      session.unsubscribe(shape)
      if (shapes.get(shape.key) === shape) shapes.delete(shape.key)
    },
    push,
    release(shape) {
      shape.refs--
      if (shape.refs <= 0) void shape.collection.cleanup()
    },
    reportError: report,
  }

  const ready = (async () => {
    const s = await openStore(options.persistence, options.star, options.clientGroupId ?? 'default', report)
    if (closed) return s.close()
    store = s
    status.set({ persistence: s.kind })
    const storedCid = await s.getMeta<string>('clientId')
    const storedGid = options.clientGroupId ?? (await s.getMeta<string>('clientGroupId'))
    const cid = storedCid ?? crypto.randomUUID()
    const gid = storedGid ?? crypto.randomUUID()
    if (!storedCid) await s.setMeta('clientId', cid)
    if (!storedGid) await s.setMeta('clientGroupId', gid)
    identity = { clientId: cid, clientGroupId: gid }
    const [records, lastId] = await Promise.all([s.loadPending(), s.getMeta<number>('lastMutationId')])
    pending.start(s, records, lastId ?? 0)
    resolveStore(s)
    // Cache first: the shapes asked for so far are shown from the cache before the socket opens.
    await Promise.all([...shapes.values()].map((shape) => shape.whenHydrated))
    if (!closed) session.start()
  })()
  ready.catch((err: unknown) => report(err as LumenizeClientError))

  const call = rpcCaller({ url: options.url, star: options.star, token: options.token })

  const mutate = Object.fromEntries(
    [...Object.keys(BUILT_IN_RUNNERS), ...Object.keys(mutators)].map((name) => [
      name,
      (args: unknown) => runMutation(name, args),
    ]),
  ) as unknown as Mutate<M>

  return {
    status,
    ready,
    get clientId() {
      return clientId()
    },
    shape<V extends object = JsonObject>(
      name: string,
      params: Record<string, unknown> = {},
      opts: ShapeOptions = {},
    ) {
      if (closed) throw new ClientClosedError()
      const key = shapeKeyOf(name, params)
      const existing = shapes.get(key)
      if (existing) {
        existing.refs++
        return existing.collection as unknown as EntityCollection<V, ShapeUtils>
      }
      const shape = new ShapeSubscription(host, name, params, pending.seq, {
        ...opts,
        ...(options.rowsPerChunk ? { rowsPerChunk: options.rowsPerChunk } : {}),
      })
      shapes.set(key, shape)
      return shape.collection as unknown as EntityCollection<V, ShapeUtils>
    },
    local<V extends object = JsonObject>(name: string, opts?: LocalOptions<V>) {
      if (closed) throw new ClientClosedError()
      const existing = locals.get(name)
      if (existing) return existing as unknown as EntityCollection<V, LocalUtils>
      const c = createLocalCollection<V>(
        { instanceId, clientId, store: () => storeReady, released: (n) => locals.delete(n) },
        name,
        opts,
      )
      locals.set(name, c as unknown as EntityCollection<JsonObject, LocalUtils>)
      return c
    },
    mutate,
    push: (transaction) =>
      push(transaction.mutations as unknown as ReadonlyArray<PendingMutation<EntityRow>>),
    history: (id, range) => history(call, id, range),
    asOf: (shape, params, at) => asOf(call, shape, params, at),
    rpc: call,
    async close() {
      if (closed) return
      closed = true
      session.close()
      await ready.catch(() => undefined)
      await pending.idle()
      await Promise.all([...shapes.values()].map((s) => s.cache.idle()))
      pending.close()
      // Collections stay readable (live queries may still hold them); they just stop syncing.
      for (const s of shapes.values()) s.stop()
      store?.close()
    },
  }
}
