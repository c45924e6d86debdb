// @lumenize/client-core: the client a developer uses (collections, optimistic writes, cache).
export { CACHE_SCHEMA_VERSION, CacheUnavailableError, type LumenizeCache, openCache } from './cache/db'
