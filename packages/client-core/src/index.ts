// @lumenize/client-core: the client a developer uses (collections, optimistic writes, cache).

export type {
  ArgsSchema,
  EntitySnapshot,
  ErrorKind,
  Filter,
  JsonObject,
  JsonValue,
  MutatorTx,
  PushedWriteOp,
  UpMessage,
  WriteOp,
} from '@lumenize/protocol'
export { mergePatch } from '@lumenize/protocol'
export {
  CACHE_SCHEMA_VERSION,
  type ChunkRecord,
  type LocalRowRecord,
  type LumenizeCache,
  type LumenizeCacheSchema,
  openCache,
  type PendingRecord,
  type ShapeRecord,
} from './cache/db'
export { DEFAULT_ROWS_PER_CHUNK } from './cache/shape-cache'
export {
  type AnyMutatorDef,
  type BuiltInMutate,
  type ClientOptions,
  createClient,
  DEFAULT_BUILD_ID,
  type LumenizeClient,
  type Mutate,
  type MutatorArgs,
  type MutatorsRecord,
} from './client'
export type { LocalOptions, LocalUtils } from './collections/local'
export type { ShapeOptions } from './collections/shape'
export type { EntityCollection, ShapeUtils } from './collections/types'
export type { EditMetadata } from './collections/writes'
export {
  CacheBlockedError,
  CacheUnavailableError,
  CacheWriteError,
  ClientClosedError,
  ClientErrorKind,
  LumenizeClientError,
  type LumenizeErrorKind,
  MutationRejectedError,
  RpcCallError,
  RpcNetworkError,
  ServerError,
  TokenError,
} from './errors'
export type { TransportMode } from './hub/mode'
export type { SharedWorkerLike, SharedWorkerSpawner } from './hub/tab-client'
export { DEFAULT_HEARTBEAT, type HeartbeatOptions } from './lifecycle/connection'
export {
  type ConnectionState,
  MACHINE_EVENTS,
  MACHINE_STATES,
  type MachineEvent,
  type MachineState,
  type OfflineReason,
  PUBLIC_STATE,
  TRANSITIONS,
} from './lifecycle/machine'
export { type NetworkSignals, runtimeNetwork } from './lifecycle/network'
export {
  type EntityInput,
  type EntityIssue,
  type EntityRow,
  type EntitySchema,
  stripVirtual,
} from './rows'
export type { ClientStatus, StatusStore } from './status'
export { type InstantLike, Temporal, temporalOf, toEpochMs, toInstant, validAt } from './temporal'
export {
  partySocketTransport,
  type ReconnectOptions,
  syncUrl,
  type Transport,
  type TransportStatus,
  type WebSocketLike,
} from './transport'
