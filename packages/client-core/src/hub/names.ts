// The names of the locks and channels by which the hubs and tabs of one cache database find and
// watch each other.
import { cacheName } from '../cache/db'
import type { AcquireLock } from '../locks'

/** The lock names of one cache database's hubs and tabs (tabs watch their hub's; the hub its tabs'). */
export const hubLocks = (star: string, clientGroupId: string | undefined) => {
  const db = cacheName(star, clientGroupId ?? 'default')
  return {
    db,
    hub: (hubId: string) => `${db}:hub:${hubId}`,
    tab: (clientId: string) => `${db}:tab:${clientId}`,
    /** What a client with a socket of its own holds (see sync/recovery.ts). */
    client: (clientId: string) => `${db}:client:${clientId}`,
    writer: `${db}:cache-writer`,
    /** Hubs of every build of this cache announce themselves here. */
    builds: `${db}:builds`,
  }
}

/**
 * Announces this hub's build on the cache's builds channel, and hears of hubs of other builds
 * started later (a deploy): `onOther` gets their build. Returns the channel (to close), if any.
 */
export function announceBuild(
  channel: string,
  buildId: string,
  hubId: string,
  onOther: (buildId: string) => void,
): { close(): void } | undefined {
  if (typeof BroadcastChannel === 'undefined') return undefined
  const builds = new BroadcastChannel(channel)
  builds.onmessage = (e: MessageEvent) => {
    const data = e.data as { buildId?: unknown } | null
    if (typeof data?.buildId === 'string' && data.buildId !== buildId) onOther(data.buildId)
  }
  builds.postMessage({ buildId, hubId })
  return builds
}

/** Whether a client of a cache is gone: neither its tab lock (hub mode) nor its own (socket mode) is held. */
export async function isGone(
  acquire: AcquireLock,
  locks: ReturnType<typeof hubLocks>,
  clientId: string,
): Promise<boolean> {
  for (const name of [locks.tab(clientId), locks.client(clientId)]) {
    const lock = await acquire(name, { ifAvailable: true })
    if (!lock) return false
    lock.release()
  }
  return true
}
