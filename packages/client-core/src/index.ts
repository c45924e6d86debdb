// @lumenize/client-core: the client a developer uses (collections, optimistic writes, cache).
export { CACHE_SCHEMA_VERSION, type LumenizeCache, openCache } from './cache/db'
export { DEFAULT_ROWS_PER_CHUNK } from './cache/shape-cache'
export {
  type AnyMutatorDef,
  type BuiltInMutate,
  type ClientOptions,
  createClient,
  type LumenizeClient,
  type Mutate,
  type MutatorsRecord,
} from './client'
export type { LocalOptions, LocalUtils } from './collections/local'
export type { EntityCollection, ShapeOptions, ShapeUtils } from './collections/shape'
export type { EditMetadata } from './collections/writes'
export {
  CacheUnavailableError,
  CacheWriteError,
  ClientClosedError,
  LumenizeClientError,
  MutationRejectedError,
  MutationTimeoutError,
  RpcCallError,
  ServerError,
} from './errors'
export { type EntityInput, type EntityRow, type EntitySchema, mergePatch, stripVirtual } from './rows'
export type { ClientStatus, ConnectionState, StatusStore } from './status'
export { type InstantLike, Temporal, temporalOf, toEpochMs, toInstant, validAt } from './temporal'
export {
  partySocketTransport,
  type ReconnectOptions,
  syncUrl,
  type Transport,
  type TransportStatus,
  type WebSocketLike,
} from './transport'
