// The tab's side of a hub, for `createClient`: the transport to the hub (a SharedWorker's port, or
// the leader's), the tab's lock (the hub watches it), and what the tab does with the hub's own
// messages: show the upstream status, show siblings' queued mutations, answer token requests, and
// reload (once) when a newer build took over.
import type { PortHubConfig, PortObserve, PortUpstream } from '@lumenize/protocol'
import type { ConnectionState, OfflineReason } from '../lifecycle/machine'
import { runtimeNetwork } from '../lifecycle/network'
import type { AcquireLock, HeldLock } from '../locks'
import { Hub, type HubOptions, hubLocks } from './hub'
import { LeaderLink } from './leader'
import { messagePort } from './port'
import { type HubTransport, hubTransport } from './tab-transport'

/** Something with a MessagePort to a SharedWorker (a SharedWorker, or a stand-in in tests). */
export interface SharedWorkerLike {
  readonly port: MessagePort
}

/** Starts (or joins) the SharedWorker of a hub; `name` tells hubs of caches and builds apart. */
export type SharedWorkerSpawner = (name: string) => SharedWorkerLike

export interface TabSideOptions {
  mode: 'sharedworker' | 'leader'
  clientId: string
  buildId: string
  config: PortHubConfig
  locks: AcquireLock
  spawn?: SharedWorkerSpawner | undefined
  /** Options of the hub this tab runs when it leads (a SharedWorker's hub takes its own). */
  hub?: Partial<Pick<HubOptions, 'releaseAfterMs' | 'WebSocket' | 'reconnect' | 'heartbeat'>>
  /** What the hub asks for when it needs a token for its socket. */
  token?: string | (() => string | Promise<string>) | undefined
  /** A newer build took the hub over. */
  onNewBuild: (buildId: string) => void
  /** The hub's socket and cache: what the tab shows as its status. */
  onUpstream: (message: PortUpstream) => void
  /** Queued mutations of another client of the hub, to show. */
  onObserve: (clientId: string, mutations: PortObserve['mutations']) => void
  /** A hub welcomed this tab (a new one, or the same one again). */
  onWelcome: () => void
}

/** What a client of a hub holds: its transport, and what to give back when it closes. */
export interface TabSide {
  readonly transport: HubTransport
  /** Holds this tab's lock: from now on the hub sees the tab die. */
  start(): Promise<void>
  close(): Promise<void>
}

export function tabSide(o: TabSideOptions): TabSide {
  const names = hubLocks(o.config.star, o.config.clientGroupId)
  let leader: LeaderLink | undefined
  let tabLock: HeldLock | null = null
  const workerName = `lumenize:${o.config.star}:${o.config.clientGroupId ?? 'default'}:${o.buildId}`
  const open =
    o.mode === 'sharedworker'
      ? () => {
          if (!o.spawn) throw new Error('no SharedWorker spawner')
          return messagePort(o.spawn(workerName).port)
        }
      : () => {
          leader ??= new LeaderLink({
            clientId: o.clientId,
            locks: o.locks,
            leaderLock: `${names.db}:leader:${o.buildId}`,
            bus: `${names.db}:bus:${o.buildId}`,
            makeHub: () => new Hub({ ...o.hub, ...o.config, buildId: o.buildId, locks: o.locks }),
          })
          return leader.open()
        }
  const transport = hubTransport({
    open,
    hello: { buildId: o.buildId, clientId: o.clientId, config: o.config },
    locks: o.locks,
    hubLock: names.hub,
  })
  // The tab's browser tells the hub of the network (a worker does not always hear it itself).
  const network = runtimeNetwork()
  network.subscribe((online) => transport.sendControl({ type: 'network', online }))
  transport.onControl((m) => {
    if (m.type === 'welcome') {
      transport.sendControl({ type: 'network', online: network.online() })
      o.onWelcome()
    } else if (m.type === 'upstream') o.onUpstream(m)
    else if (m.type === 'observe') o.onObserve(m.clientId, m.mutations)
    else if (m.type === 'tokenRequest') {
      const token = o.token
      void Promise.resolve(typeof token === 'function' ? token() : token).then(
        (t) =>
          transport.sendControl({
            type: 'token',
            requestId: m.requestId,
            ...(t === undefined ? {} : { token: t }),
          }),
        (err: unknown) =>
          transport.sendControl({ type: 'token', requestId: m.requestId, error: String(err) }),
      )
    } else if (m.type === 'reload') o.onNewBuild(m.buildId)
  })
  return {
    transport,
    async start() {
      tabLock = await o.locks(names.tab(o.clientId))
    },
    async close() {
      transport.sendControl({ type: 'bye' })
      transport.disconnect()
      await leader?.close()
      tabLock?.release()
    },
  }
}

/** The status a tab shows: its link to the hub when that is down, else the hub's own socket. */
export function combinedState(
  local: { state: ConnectionState; reason: OfflineReason | null },
  upstream: PortUpstream | undefined,
): { state: ConnectionState; reason: OfflineReason | null } {
  if (!upstream) return local
  const localLive = local.state === 'syncing' || local.state === 'synced'
  if (!localLive) return local
  if (upstream.state !== 'syncing' && upstream.state !== 'synced')
    return { state: upstream.state, reason: upstream.reason }
  return local.state === 'synced' && upstream.state === 'synced' ? local : { state: 'syncing', reason: null }
}

/**
 * A newer build took over the hub: reload into it, once per build (a second `reload` for the same
 * build, after a reload that did not bring it, is ignored: no loop).
 */
export function reloadOnce(buildId: string): void {
  const g = globalThis as unknown as {
    sessionStorage?: { getItem(key: string): string | null; setItem(key: string, value: string): void }
    location?: { reload?: () => void }
  }
  if (!g.sessionStorage || !g.location?.reload) return
  const key = `lumenize:reloaded-for:${buildId}`
  if (g.sessionStorage.getItem(key) !== null) return
  g.sessionStorage.setItem(key, String(Date.now()))
  g.location.reload()
}
