// createClient: the composition root. It wires the store, the pending queue, mutation recovery, the
// connection lifecycle, the sync session and the collections together, and exposes the public API.
import type { JsonObject, PortUpstream } from '@lumenize/protocol'
import type { PendingMutation } from '@tanstack/db'
import type { ClientOptions, LumenizeClient, Mutate } from './api'
import { cacheName } from './cache/db'
import { type ClientStore, openStore } from './cache/store'
import { createLocalCollection, type LocalOptions, type LocalUtils } from './collections/local'
import { type MutatorsRecord, OptimisticWrites } from './collections/optimistic'
import { type ShapeHost, type ShapeOptions, ShapeSubscription, shapeKeyOf } from './collections/shape'
import type { EntityCollection, ShapeUtils } from './collections/types'
import { CacheUnavailableError, CacheWriteError, ClientClosedError, LumenizeClientError } from './errors'
import { type ResolvedMode, resolveMode } from './hub/mode'
import { combinedState, reloadOnce, tabSide } from './hub/tab-client'
import { AuthRetry } from './lifecycle/auth-retry'
import { Connection } from './lifecycle/connection'
import { isLive, isOffline, PUBLIC_STATE } from './lifecycle/machine'
import { type NetworkSignals, runtimeNetwork } from './lifecycle/network'
import { type AcquireLock, defaultLocks, type HeldLock } from './locks'
import type { EntityRow } from './rows'
import { asOf, history, reportUnhandled, rpcCaller } from './rpc'
import { StatusController } from './status'
import { PendingQueue } from './sync/pending'
import { Recovery } from './sync/recovery'
import { SyncSession } from './sync/session'
import { toInstant } from './temporal'
import { Throttle } from './throttle'
import { DEFAULT_RECONNECT, partySocketTransport } from './transport'

export type * from './api'

/** How often `lastSyncedAt` may change (status and cache): pokes can come many times a second. */
const SYNCED_GRANULARITY_MS = 1_000

/** The build a client says it is (hubs serve tabs of their own build); apps pass their own. */
export const DEFAULT_BUILD_ID = 'lumenize-client-core-0'

/** How long `ready` waits for a hub to seed the shapes asked for before it (a new worker starts first). */
const HUB_SEED_WAIT_MS = 2_000

/** A tab behind a hub is never offline towards the hub: the hub watches the network. */
const ALWAYS_ONLINE: NetworkSignals = { online: () => true, subscribe: () => () => undefined }

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
  const clientId = crypto.randomUUID()
  const dbName = cacheName(options.star, options.clientGroupId ?? 'default')
  const locks: AcquireLock = defaultLocks()
  const status = new StatusController(options.persistence)
  // One socket per tab, or a hub (SharedWorker or leader tab) holding the socket and the cache.
  const asked = options.transport ?? 'auto'
  const mode: ResolvedMode =
    typeof asked === 'object'
      ? 'socket'
      : resolveMode(asked, {
          persistence: options.persistence,
          hasSpawner: options.sharedWorker !== undefined,
        })
  const viaHub = mode !== 'socket'
  let upstream: PortUpstream | undefined
  const shapes = new Map<string, ShapeSubscription>()
  const locals = new Map<string, EntityCollection<JsonObject, LocalUtils>>()
  let store: ClientStore | undefined
  // Through a hub, the group is the hub's (it connects to the server); the tab names it only to the hub.
  let groupId = options.clientGroupId ?? 'default'
  let closed = false
  let writerLock: HeldLock | null = null
  const abortOnClose: Array<() => void> = []
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
    clientId,
    // Through a hub, the hub holds a mutation from the moment it arrives; this tab stores it meanwhile.
    sendBeforeStored: viaHub,
    send: (cid, mutations) => connection.live && connection.send({ type: 'push', clientId: cid, mutations }),
    onCount: (n, oldest) => {
      status.set({ pending: n, oldestPendingAt: oldest === null ? null : toInstant(oldest) })
      // Siblings wait on this client's lock from its first queued mutation on (see Recovery).
      if (n > 0) recovery?.queueing()
    },
    onError: report,
    onDrained: (cid) => recovery?.drained(cid),
  })

  const writes = new OptimisticWrites({
    mutators: options.mutators ?? {},
    pending,
    shapes: () => shapes.values(),
    locals: () => locals.values(),
    clientId,
  })

  /** Without a hub, clients of a cache recover each other's queues; with one, the hub holds them all. */
  const recovery = viaHub
    ? undefined
    : new Recovery({
        locks,
        lockName: (cid) => `${dbName}:client:${cid}`,
        channel: `${dbName}:recovery`,
        clientId,
        store: () => store,
        adopt(cid, records) {
          const entries = pending.adopt(cid, records)
          writes.show(
            entries,
            [...shapes.values()].filter((s) => s.isHydrated),
          )
        },
      })

  // lastSyncedAt: at most once a second to the status, and to the cache by its writer only (its rows
  // are the ones stored, so the stored time matches them). With a hub, it is the hub's (its status).
  const syncedClock = new Throttle(SYNCED_GRANULARITY_MS, () => {
    const now = Date.now()
    status.set({ lastSyncedAt: toInstant(now) })
    if (writerLock && store) void store.setMeta('lastSyncedAt', now)
  })
  const noteSynced = (): void => {
    if (!viaHub) syncedClock.poke()
  }

  const session: SyncSession = new SyncSession({
    connection: () => connection,
    pending,
    clientId,
    clientGroupId: () => groupId,
    token: options.token,
    store: () => store,
    synced: noteSynced,
    reportError: report,
  })

  const authRetry = new AuthRetry({
    token: options.token,
    backoff: { ...DEFAULT_RECONNECT, ...options.reconnect },
    retry: () => connection.dispatch('authRetry'),
    report,
  })

  /** What the tab shows: its own connection, or (through a hub) the hub's socket once the hub is reached. */
  const showState = (): void => {
    const local = PUBLIC_STATE[connection.state]
    const shown = viaHub ? combinedState(local, upstream) : local
    status.set(shown)
    if (shown.state === 'synced') status.set({ source: 'server' })
  }

  const side = viaHub
    ? tabSide({
        mode,
        clientId,
        buildId: options.buildId ?? DEFAULT_BUILD_ID,
        config: {
          url: options.url,
          star: options.star,
          persistence: options.persistence,
          ...(options.clientGroupId === undefined ? {} : { clientGroupId: options.clientGroupId }),
          ...(options.releaseAfterMs === undefined ? {} : { releaseAfterMs: options.releaseAfterMs }),
        },
        locks,
        spawn: options.sharedWorker,
        token: options.token,
        onNewBuild: options.onNewBuild ?? reloadOnce,
        hub: {
          ...(options.releaseAfterMs === undefined ? {} : { releaseAfterMs: options.releaseAfterMs }),
          ...(options.WebSocket ? { WebSocket: options.WebSocket } : {}),
          ...(options.reconnect ? { reconnect: options.reconnect } : {}),
          ...(options.heartbeat ? { heartbeat: options.heartbeat } : {}),
        },
        onUpstream(m) {
          upstream = m
          const lastSyncedAt = m.lastSyncedAt === null ? null : toInstant(m.lastSyncedAt)
          status.set({ persistence: m.persistence, lastSyncedAt })
          showState()
        },
        // A sibling's queued mutations: shown here too, settled with everyone's.
        onObserve: (cid, mutations) =>
          writes.show(
            pending.observe(cid, mutations),
            [...shapes.values()].filter((s) => s.isHydrated),
          ),
        // A hub (new, or the same one again) tells this tab what is queued from now on.
        onWelcome: () => pending.forgetObserved(),
      })
    : undefined

  const connection: Connection = new Connection({
    transport:
      side?.transport ??
      (typeof asked === 'object'
        ? asked
        : partySocketTransport({
            url: options.url,
            star: options.star,
            ...(options.WebSocket ? { WebSocket: options.WebSocket } : {}),
            ...(options.reconnect ? { reconnect: options.reconnect } : {}),
          })),
    // Through a hub, the network is the hub's to watch: the port to it works offline too.
    network: viaHub ? ALWAYS_ONLINE : (options.network ?? runtimeNetwork()),
    ...(options.heartbeat ? { heartbeat: options.heartbeat } : {}),
    onOpen: (gen) => void session.opened(gen),
    onDrop: () => session.dropped(),
    onMessage: (m) => session.onMessage(m),
    onTransition(next, prev) {
      showState()
      if (next === 'synced') {
        authRetry.reset()
        noteSynced()
      }
      if (next === 'syncing' && !isLive(prev)) void recovery?.scan()
      if (next === 'needsAuth') authRetry.schedule()
      if (isOffline(next)) for (const s of shapes.values()) s.showEmptyOffline()
    },
  })

  const host: ShapeHost = {
    instanceId,
    clientId: () => clientId,
    store: () => storeReady,
    cacheWriter: () => writerLock !== null,
    readsCache: () => !viaHub,
    hydrated(shape) {
      writes.show(
        pending.entries().filter((e) => e.seq <= shape.bornAtSeq),
        [shape],
      )
      if (isOffline(connection.state)) shape.showEmptyOffline()
      session.subscribe(shape)
    },
    detached(shape) {
      session.unsubscribe(shape)
      if (shapes.get(shape.key) === shape) shapes.delete(shape.key)
    },
    push: (mutations) => {
      const done = writes.push(mutations)
      // A collection edit's transaction is often not awaited: its rejection is reported too.
      done.catch((err: unknown) => {
        if (err instanceof LumenizeClientError) report(err)
      })
      return done
    },
    release(shape) {
      shape.refs--
      if (shape.refs <= 0) void shape.collection.cleanup()
    },
    reportError: report,
  }

  /** One tab writes the shared cache; when it goes, the next rewrites it from its own rows. */
  const electWriter = (): void => {
    const writerAbort = new AbortController()
    abortOnClose.push(() => writerAbort.abort())
    void locks(`${dbName}:cache-writer`, { signal: writerAbort.signal }).then(async (lock) => {
      if (!lock) return
      if (closed || !store) return lock.release()
      writerLock = lock
      const s = store
      await Promise.all([...shapes.values()].map((shape) => shape.takeOverCache(s)))
    })
  }

  const ready = (async () => {
    const claimed = viaHub ? side?.start() : recovery?.claim()
    // Through a hub, the hub writes the cache's shapes; this tab reads them, and stores its own queue
    // (the hub collects it from there if the tab dies before handing it over).
    const s = await openStore(options.persistence, options.star, options.clientGroupId ?? 'default', report)
    if (closed) return s.close()
    store = s
    if (!viaHub) status.set({ persistence: s.kind })
    if (!options.clientGroupId && !viaHub)
      groupId = await s.getOrCreateMeta('clientGroupId', () => crypto.randomUUID())
    const syncedAt = viaHub ? undefined : await s.getMeta<number>('lastSyncedAt')
    if (typeof syncedAt === 'number') status.set({ lastSyncedAt: toInstant(syncedAt) })
    await claimed
    pending.start(s)
    resolveStore(s)
    if (!viaHub) electWriter()
    // Queues of clients that closed with mutations pending are taken over (shown, then pushed).
    await recovery?.scan()
    // Cache first: the shapes asked for so far are shown from the cache before the socket opens.
    await Promise.all([...shapes.values()].map((shape) => shape.whenHydrated))
    if (!closed) connection.start()
    // Through a hub, the cache is the hub's: the shapes asked for so far are shown once it seeds them
    // (from its memory, its cache, or empty when offline), which takes it moments; never wait long.
    if (viaHub) {
      const seeded = Promise.all([...shapes.values()].map((shape) => shape.collection.toArrayWhenReady()))
      await Promise.race([seeded, new Promise((r) => setTimeout(r, HUB_SEED_WAIT_MS))])
    }
  })()
  ready.catch((err: unknown) => {
    if (err instanceof LumenizeClientError) report(err)
  })

  const call = rpcCaller({ url: options.url, star: options.star, token: options.token })
  const guarded = <T>(p: Promise<T>): Promise<T> => reportUnhandled(p, report)

  const mutate = Object.fromEntries(
    writes
      .names()
      .map((name) => [
        name,
        (args: unknown) => guarded(closed ? Promise.reject(new ClientClosedError()) : writes.run(name, args)),
      ]),
  ) as unknown as Mutate<M>

  return {
    status,
    ready,
    clientId,
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
        { instanceId, clientId: () => clientId, store: () => storeReady, released: (n) => locals.delete(n) },
        name,
        opts,
      )
      locals.set(name, c as unknown as EntityCollection<JsonObject, LocalUtils>)
      return c
    },
    mutate,
    push: (transaction) =>
      guarded(writes.push(transaction.mutations as unknown as ReadonlyArray<PendingMutation<EntityRow>>)),
    history: (id, range) => guarded(history(call, id, range)),
    asOf: (shape, params, at) => guarded(asOf(call, shape, params, at)),
    rpc: (method, params) => guarded(call(method, params)),
    async close() {
      if (closed) return
      closed = true
      authRetry.stop()
      syncedClock.stop()
      for (const abort of abortOnClose) abort()
      connection.dispatch('close')
      await ready.catch(() => undefined)
      await pending.idle()
      await Promise.all([...shapes.values()].map((s) => s.cache.idle()))
      pending.close()
      // Collections stay readable (live queries may still hold them); they just stop syncing.
      for (const s of shapes.values()) s.stop()
      // The queue is on disk: from now on another client of the group may take it over.
      writerLock?.release()
      recovery?.close(pending.size > 0)
      await side?.close()
      store?.close()
    },
  }
}
