// The names of the locks and channels by which the hubs and tabs of one cache database find and
// watch each other.
import { cacheName } from '../cache/db'

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
