// The hub: what a SharedWorker (or the leader tab) runs for every tab of an origin and star. It owns
// the one socket to the server, the IndexedDB cache and every tab's pending queue; tabs talk to it
// over ports in the sync protocol's own messages (hub/tabs.ts), and it speaks to the server as a
// client of the group would (the same Connection, SyncSession and PendingQueue).
import { type DownMessage, PORT_PROTOCOL_VERSION, type PortControl, shapeKey } from '@lumenize/protocol'
import { type ClientStore, openStore } from '../cache/store'
import { CacheUnavailableError, CacheWriteError, type LumenizeClientError } from '../errors'
import { Connection, type HeartbeatOptions } from '../lifecycle/connection'
import { isLive, isOffline, PUBLIC_STATE } from '../lifecycle/machine'
import { type NetworkSignals, ReportedNetwork, runtimeNetwork } from '../lifecycle/network'
import { type AcquireLock, defaultLocks, type HeldLock } from '../locks'
import { PendingQueue } from '../sync/pending'
import type { Poke } from '../sync/pokes'
import { SyncSession } from '../sync/session'
import { Throttle } from '../throttle'
import { partySocketTransport, type ReconnectOptions, type Transport, type WebSocketLike } from '../transport'
import { HubShape } from './hub-shape'
import { announceBuild, hubLocks, isGone } from './names'
import type { PortLike } from './port'
import { TabLink } from './tabs'
import { CacheWriterLock } from './writer'

export { hubLocks } from './names'

import { TokenRequests } from './tokens'

/** What a hub serves: one star, one client group (one cache database), one build of the app. */
export interface HubOptions {
  url: string
  star: string
  /** Names the cache database (and the client group) as `createClient`'s option does. */
  clientGroupId?: string | undefined
  /** The app build the hub serves: tabs of another build get a hub of their own. */
  buildId: string
  persistence: 'indexeddb' | 'memory'
  /** How long a shape stays subscribed after the last tab lets it go (default 30 s): a reload finds it warm. */
  releaseAfterMs?: number | undefined
  transport?: Transport
  WebSocket?: WebSocketLike
  reconnect?: ReconnectOptions
  heartbeat?: HeartbeatOptions
  network?: NetworkSignals
  locks?: AcquireLock
  /** The hub stopped for good (closed, or drained for a newer build). */
  onClosed?: () => void
}

const DEFAULT_RELEASE_MS = 30_000
const SYNCED_EVERY_MS = 1_000

export class Hub {
  /** This hub instance; also its clientId on the server (it pushes its tabs' mutations under theirs). */
  readonly id = crypto.randomUUID()
  readonly locks: ReturnType<typeof hubLocks>
  private store: ClientStore | undefined
  private groupId = ''
  private readonly shapes = new Map<string, HubShape>()
  private readonly tabs = new Set<TabLink>()
  private readonly pending: PendingQueue
  private readonly connection: Connection
  private readonly session: SyncSession
  private readonly acquire: AcquireLock
  private held: HeldLock[] = []
  private readonly writer: CacheWriterLock
  private readonly aborts: AbortController[] = []
  private lastSyncedAt: number | null = null
  private persistence: 'indexeddb' | 'memory'
  private started: Promise<void> | undefined
  /** Shapes being read from the cache before they subscribe upstream. */
  private readonly hydrating = new Set<Promise<void>>()
  private draining = false
  private closing: Promise<void> | undefined
  private closed = false
  /** Tokens for the socket come from the tab that joined last (its callback is the freshest). */
  private readonly tokens = new TokenRequests(() => [...this.tabs].at(-1))
  private builds: { close(): void } | undefined
  /** The runtime's network events, and what the tabs' browsers report (a worker may not hear them). */
  private readonly net: ReportedNetwork
  private readonly syncedClock = new Throttle(SYNCED_EVERY_MS, () => {
    if (this.writer.held && this.store && this.lastSyncedAt !== null)
      void this.store.setMeta('lastSyncedAt', this.lastSyncedAt)
    this.broadcastUpstream()
  })

  constructor(private readonly o: HubOptions) {
    this.locks = hubLocks(o.star, o.clientGroupId)
    this.writer = new CacheWriterLock(o.locks ?? defaultLocks(), this.locks.writer)
    this.net = new ReportedNetwork(o.network ?? runtimeNetwork())
    this.acquire = o.locks ?? defaultLocks()
    this.persistence = o.persistence
    this.pending = new PendingQueue({
      clientId: this.id,
      send: (cid, mutations) =>
        this.connection.live && this.connection.send({ type: 'push', clientId: cid, mutations }),
      onCount: (n) => {
        if (this.draining && n === 0) void this.close()
      },
      onError: (e) => this.report(e),
    })
    this.connection = new Connection({
      transport:
        o.transport ??
        partySocketTransport({
          url: o.url,
          star: o.star,
          ...(o.WebSocket ? { WebSocket: o.WebSocket } : {}),
          ...(o.reconnect ? { reconnect: o.reconnect } : {}),
        }),
      network: this.net,
      ...(o.heartbeat ? { heartbeat: o.heartbeat } : {}),
      onOpen: (gen) => void this.session.opened(gen),
      onDrop: () => this.session.dropped(),
      onMessage: (m) => this.session.onMessage(m),
      onTransition: (next) => {
        if (isOffline(next)) for (const s of this.shapes.values()) s.showEmpty()
        this.broadcastUpstream()
      },
    })
    this.session = new SyncSession({
      connection: () => this.connection,
      pending: this.pending,
      clientId: this.id,
      clientGroupId: () => this.groupId,
      token: () => this.tokens.ask(),
      store: () => this.store,
      synced: () => {
        this.lastSyncedAt = Date.now()
      },
      reportError: (e) => this.report(e),
      onApplied: (poke) => this.fanOut(poke),
      onMutationError: (m) => this.broadcast([m]),
    })
  }

  /** Opens the cache, takes over every queue stored in it, and connects. Idempotent. */
  start(): Promise<void> {
    this.started ??= this.startNow()
    return this.started
  }

  /** A tab connected (its port); it says hello first. */
  connect(port: PortLike): void {
    const tab = new TabLink(port, this)
    this.tabs.add(tab)
  }

  // --- What TabLink asks of its hub -------------------------------------------------------------

  get buildId(): string {
    return this.o.buildId
  }

  get isDraining(): boolean {
    return this.draining
  }

  /** A tab introduced itself: it is welcomed with the upstream status and its siblings' queues. */
  async welcome(tab: TabLink): Promise<void> {
    await this.start()
    tab.send([
      { type: 'welcome', portVersion: PORT_PROTOCOL_VERSION, buildId: this.o.buildId, hubId: this.id },
    ])
    tab.send([this.upstream()])
    for (const cid of this.pending.clients()) {
      if (cid === tab.clientId) continue
      const mutations = this.pending
        .entries()
        .filter((e) => e.clientId === cid)
        .map((e) => ({ id: e.id, name: e.name, args: e.args, createdAt: e.createdAt }))
      if (mutations.length > 0) tab.send([{ type: 'observe', clientId: cid, mutations }])
    }
    // The tab's lock is free once its page is gone: then its subscriptions go (its queue stays).
    const ac = new AbortController()
    this.aborts.push(ac)
    void this.acquire(this.locks.tab(tab.clientId), { signal: ac.signal }).then((lock) => {
      lock?.release()
      if (lock) this.drop(tab)
    })
  }

  /** The server's watermark for a tab's client, as far as the hub knows. */
  appliedThrough(clientId: string): number {
    return this.pending.appliedThrough(clientId)
  }

  subscribe(
    tab: TabLink,
    subId: string,
    name: string,
    params: Record<string, unknown>,
    cookie: number | undefined,
  ): HubShape {
    const key = shapeKey(name, params)
    let shape = this.shapes.get(key)
    if (!shape) {
      shape = new HubShape(key, name, params, () => this.writer.held)
      this.shapes.set(key, shape)
      const s = shape
      const hydrated = this.start()
        .then(() => (this.store ? s.hydrate(this.store) : undefined))
        .then(() => {
          if (isOffline(this.connection.state)) s.showEmpty()
          this.session.subscribe(s)
        })
        .finally(() => this.hydrating.delete(hydrated))
      this.hydrating.add(hydrated)
    }
    shape.add(tab, subId, cookie)
    return shape
  }

  /** A tab let a shape go; the last one releases it after a while (a reload finds it warm). */
  unsubscribe(tab: TabLink, shape: HubShape, subId?: string): void {
    if (!shape.remove(tab, subId)) return
    if (shape.releaseTimer !== undefined) clearTimeout(shape.releaseTimer)
    shape.releaseTimer = setTimeout(() => {
      if (shape.tabs.size > 0 || this.shapes.get(shape.key) !== shape) return
      this.session.unsubscribe(shape)
      this.shapes.delete(shape.key)
    }, this.o.releaseAfterMs ?? DEFAULT_RELEASE_MS)
  }

  /** A tab's mutations: stored, then shown to its siblings, then pushed. */
  async push(
    tab: TabLink,
    mutations: ReadonlyArray<{ id: number; name: string; args: unknown; createdAt?: number }>,
    gone = false,
  ): Promise<void> {
    await this.start()
    // Shapes asked for first are subscribed first: the server seeds them before it confirms these
    // mutations, so no tab sees a confirmed write missing from its shape.
    await Promise.all(this.hydrating)
    // Shown to siblings at once; the hub's copy is stored meanwhile (the tab keeps its own until the
    // server confirms). What `collect` reads is stored already.
    const { fresh } = this.pending.receive(tab.clientId, mutations, gone)
    if (fresh.length === 0) return
    const observe: PortControl = {
      type: 'observe',
      clientId: tab.clientId,
      mutations: fresh.map((e) => ({ id: e.id, name: e.name, args: e.args, createdAt: e.createdAt })),
    }
    for (const other of this.tabs) if (gone || other !== tab) other.send([observe])
  }

  network(online: boolean): void {
    this.net.report(online)
  }

  answerToken(requestId: string, token: string | undefined, error: string | undefined): void {
    this.tokens.answer(requestId, token, error)
  }

  /**
   * A tab is gone (its page closed, or its client said bye). What it stored but had not handed over
   * yet is collected from the cache: the hub pushes it like the rest.
   */
  drop(tab: TabLink): void {
    if (!this.tabs.delete(tab)) return
    for (const [subId, shape] of tab.subscriptions()) this.unsubscribe(tab, shape, subId)
    tab.close()
    void this.collect(tab)
  }

  private collectWhenGone(clientId: string): void {
    const ac = new AbortController()
    this.aborts.push(ac)
    void this.acquire(this.locks.tab(clientId), { signal: ac.signal }).then(async (lock) => {
      lock?.release()
      const store = this.store
      if (!lock || !store || this.closed) return
      const { fresh } = this.pending.receive(clientId, await store.loadPending(clientId), true)
      if (fresh.length === 0) return
      const mutations = fresh.map((e) => ({ id: e.id, name: e.name, args: e.args, createdAt: e.createdAt }))
      this.broadcast([{ type: 'observe', clientId, mutations }])
    })
  }

  private async collect(tab: TabLink): Promise<void> {
    const store = this.store
    if (!store || tab.clientId === '' || this.closed) return
    await this.push(tab, await store.loadPending(tab.clientId), true)
  }

  // --- The hub's own life -----------------------------------------------------------------------

  /** Stops: the socket closes, the cache is left consistent, queued mutations stay stored. */
  close(): Promise<void> {
    this.closing ??= this.closeNow()
    return this.closing
  }

  private async closeNow(): Promise<void> {
    // Not the writer yet (its turn had not come): if the place is free now, leave the rows stored.
    const store = this.store
    if (store && !this.writer.held && (await this.writer.tryNow()))
      await Promise.all([...this.shapes.values()].map((s) => s.takeOverCache(store)))
    this.closed = true
    this.syncedClock.stop()
    this.connection.dispatch('close')
    for (const ac of this.aborts) ac.abort()
    await this.started?.catch(() => undefined)
    await this.pending.idle()
    await Promise.all([...this.shapes.values()].map((s) => s.cache.idle()))
    this.pending.close()
    for (const tab of [...this.tabs]) this.drop(tab)
    this.builds?.close()
    this.writer.release()
    for (const l of this.held) l.release()
    this.store?.close()
    this.o.onClosed?.()
  }

  private async startNow(): Promise<void> {
    const own = await this.acquire(this.locks.hub(this.id))
    if (own) this.held.push(own)
    const store = await openStore(this.o.persistence, this.o.star, this.o.clientGroupId ?? 'default', (e) =>
      this.report(e),
    )
    this.store = store
    this.persistence = store.kind
    this.groupId =
      this.o.clientGroupId ?? (await store.getOrCreateMeta('clientGroupId', () => crypto.randomUUID()))
    const synced = await store.getMeta<number>('lastSyncedAt')
    if (typeof synced === 'number') this.lastSyncedAt = synced
    this.pending.start(store)
    // The queues of tabs that are gone are this hub's to push; a live tab hands over its own (after
    // subscribing its shapes, so that the server seeds them before it confirms its writes).
    for (const cid of await store.pendingClients()) {
      if (await isGone(this.acquire, this.locks, cid)) this.pending.adopt(cid, await store.loadPending(cid))
      // Alive now (or its page is still going: locks of a closing page go one by one): if it goes
      // without handing its queue over, the hub collects it then.
      else this.collectWhenGone(cid)
    }
    this.electWriter()
    this.watchBuilds()
    if (!this.closed) this.connection.start()
  }

  /** One hub writes the cache's shapes (two hubs of two builds may run side by side for a while). */
  private electWriter(): void {
    this.writer.start(async () => {
      const store = this.store
      if (this.closed || !store) return false
      await Promise.all([...this.shapes.values()].map((s) => s.takeOverCache(store)))
      return true
    })
  }

  /**
   * Hubs of this cache announce their build. A hub hearing of another build steps aside: it tells its
   * tabs to reload (into the new build), pushes what is still queued, then closes.
   */
  private watchBuilds(): void {
    this.builds = announceBuild(this.locks.builds, this.o.buildId, this.id, (newer) => this.drain(newer))
  }

  private drain(newBuild: string): void {
    if (this.draining) return
    this.draining = true
    this.broadcast([{ type: 'reload', buildId: newBuild }])
    if (this.pending.size === 0) void this.close()
  }

  /** A whole poke from the server, passed on to every tab with the parts of its subscriptions. */
  private fanOut(poke: Poke): void {
    this.persistSynced()
    for (const tab of this.tabs) tab.poke(poke)
  }

  private persistSynced(): void {
    if (this.writer.held && this.store && this.lastSyncedAt !== null)
      void this.store.setMeta('lastSyncedAt', this.lastSyncedAt)
  }

  private broadcast(messages: ReadonlyArray<DownMessage | PortControl>): void {
    for (const tab of this.tabs) tab.send(messages)
  }

  private upstream(): PortControl {
    const { state, reason } = PUBLIC_STATE[this.connection.state]
    return { type: 'upstream', state, reason, lastSyncedAt: this.lastSyncedAt, persistence: this.persistence }
  }

  private broadcastUpstream(): void {
    this.broadcast([this.upstream()])
  }

  private report(error: LumenizeClientError): void {
    if (error instanceof CacheUnavailableError || error instanceof CacheWriteError) {
      this.persistence = 'memory'
      this.broadcastUpstream()
    }
  }

  /** Whether the hub's socket is live (for tests and diagnostics). */
  get online(): boolean {
    return isLive(this.connection.state)
  }
}
