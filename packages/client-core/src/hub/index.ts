// @lumenize/client-core/hub: the hub that holds the socket, the cache and every tab's queue for all
// tabs of an origin, for the script of a SharedWorker (`@lumenize/sharedworker`) or a custom host.
export { Hub, type HubOptions, hubLocks } from './hub'
export { messagePort, type PortLike } from './port'
export { type HostOptions, hostSharedWorker, type SharedWorkerScope } from './worker-host'
