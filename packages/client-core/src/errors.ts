// Errors of the client: one root class, a category per source, messages that say what to do, and
// one constant list of the kinds the client itself raises (the server's are protocol's ErrorKind).
import type { ErrorKind } from '@lumenize/protocol'

/** Every error kind the client raises itself, as stable string constants. */
export const ClientErrorKind = {
  clientClosed: 'CLIENT_CLOSED',
  cacheUnavailable: 'CACHE_UNAVAILABLE',
  cacheQuota: 'CACHE_QUOTA',
  cacheWriteFailed: 'CACHE_WRITE_FAILED',
  /** A JSON-RPC call never got an answer (offline, DNS, CORS, the server down). */
  rpcNetwork: 'RPC_NETWORK',
  /** The server answered a JSON-RPC call with something that is not JSON-RPC. */
  rpcBadAnswer: 'RPC_BAD_ANSWER',
  /** A JSON-RPC error without an application kind (a spec error such as -32601). */
  rpcFailed: 'RPC_FAILED',
  /** The `token` callback threw or rejected. */
  tokenFailed: 'TOKEN_FAILED',
  applyFailed: 'APPLY_FAILED',
  unsupportedShape: 'UNSUPPORTED_SHAPE',
  /** A custom mutator's args schema is asynchronous; optimistic writes need a synchronous one. */
  asyncSchema: 'ASYNC_SCHEMA',
  /** The transport asked for cannot run here (no SharedWorker, no Web Locks...). */
  unsupportedTransport: 'UNSUPPORTED_TRANSPORT',
  /** A cache upgrade waits for an older tab to close its database (retryable: close the other tabs). */
  cacheBlocked: 'CACHE_BLOCKED',
} as const

export type ClientErrorKind = (typeof ClientErrorKind)[keyof typeof ClientErrorKind]

/**
 * The kind of any error the client reports: one of the server's (`ErrorKind`), one of its own
 * (`ClientErrorKind`), or a kind a newer server added (kept as sent, so it can still be shown).
 */
export type LumenizeErrorKind = ErrorKind | ClientErrorKind | (string & {})

/** Root of every error the client raises on purpose. */
export class LumenizeClientError extends Error {
  readonly kind: LumenizeErrorKind
  readonly details: Readonly<Record<string, unknown>>

  constructor(
    kind: LumenizeErrorKind,
    message: string,
    details: Record<string, unknown> = {},
    cause?: unknown,
  ) {
    super(message, cause === undefined ? undefined : { cause })
    this.name = 'LumenizeClientError'
    this.kind = kind
    this.details = details
  }
}

/**
 * The server refused a mutation (validation, conflict, unknown mutator...). Its optimistic effect
 * has been rolled back and its id consumed; `kind` and `details` are the server's.
 *
 * @example
 * try { await client.mutate.upsert({ id, type: 'Task', value: {} }) }
 * catch (e) { if (e instanceof MutationRejectedError && e.kind === ErrorKind.validation) showIssues(e.details) }
 */
export class MutationRejectedError extends LumenizeClientError {
  /** The per-client id the mutation had (0: refused before it was queued). */
  readonly mutationId: number
  /** The mutator's name (`upsert`, `patch`, a custom one...). */
  readonly mutator: string

  constructor(
    kind: LumenizeErrorKind,
    message: string,
    details: Record<string, unknown>,
    mutationId: number,
    mutator: string,
  ) {
    super(kind, message, details)
    this.name = 'MutationRejectedError'
    this.mutationId = mutationId
    this.mutator = mutator
  }
}

/** The client was closed while the operation was still waiting. Queued mutations stay persisted. */
export class ClientClosedError extends LumenizeClientError {
  constructor() {
    super(
      ClientErrorKind.clientClosed,
      'The client was closed; pending mutations are kept and sent by the next client of this cache',
    )
    this.name = 'ClientClosedError'
  }
}

/** Thrown when the browser offers no IndexedDB (private modes, some embedded webviews). */
export class CacheUnavailableError extends LumenizeClientError {
  constructor(cause?: unknown) {
    super(
      ClientErrorKind.cacheUnavailable,
      'IndexedDB is not available here: using memory (nothing survives a reload). Allow site storage, or pass persistence: "memory"',
      {},
      cause,
    )
    this.name = 'CacheUnavailableError'
  }
}

/**
 * Opening the cache waits: a tab of an older build holds the database open at its older version.
 * Retryable: the open goes on by itself once that tab closes (or reloads).
 */
export class CacheBlockedError extends LumenizeClientError {
  constructor() {
    super(
      ClientErrorKind.cacheBlocked,
      'The cache is being upgraded and an older tab of this app still has it open: close or reload the other tabs',
    )
    this.name = 'CacheBlockedError'
  }
}

/** A write to IndexedDB failed (typically over quota); the client goes on in memory. */
export class CacheWriteError extends LumenizeClientError {
  constructor(cause: unknown) {
    const quota = cause instanceof Error && cause.name === 'QuotaExceededError'
    super(
      quota ? ClientErrorKind.cacheQuota : ClientErrorKind.cacheWriteFailed,
      quota
        ? 'IndexedDB is over quota: the cache now lives in memory only. Free site storage to persist again'
        : 'Writing to IndexedDB failed: the cache now lives in memory only',
      {},
      cause,
    )
    this.name = 'CacheWriteError'
  }
}

/** A JSON-RPC call failed on the server. `code` is the JSON-RPC code; `kind` comes from `error.data.kind`. */
export class RpcCallError extends LumenizeClientError {
  readonly code: number

  constructor(code: number, message: string, data: unknown) {
    const details = typeof data === 'object' && data !== null ? { ...data } : {}
    const kind =
      'kind' in details && typeof details.kind === 'string' ? details.kind : ClientErrorKind.rpcFailed
    super(kind, message, details)
    this.name = 'RpcCallError'
    this.code = code
  }
}

/**
 * A JSON-RPC call got no usable answer: the network failed (offline, the server down, a CORS
 * refusal) or the server answered with something that is not JSON-RPC. Retrying later may work.
 */
export class RpcNetworkError extends LumenizeClientError {
  /** The HTTP status when there was an answer, else undefined. */
  readonly status: number | undefined

  constructor(method: string, cause: unknown, status?: number) {
    super(
      status === undefined ? ClientErrorKind.rpcNetwork : ClientErrorKind.rpcBadAnswer,
      status === undefined
        ? `${method} could not reach the server (offline, server down, or refused by CORS): try again when online`
        : `${method} got an answer that is not JSON-RPC (HTTP ${status})`,
      { method, ...(status === undefined ? {} : { status }) },
      cause,
    )
    this.name = 'RpcNetworkError'
    this.status = status
  }
}

/** The server sent an `error` frame that is not about a mutation (bad shape params, auth...). */
export class ServerError extends LumenizeClientError {
  constructor(kind: LumenizeErrorKind, message: string, details: Record<string, unknown> = {}) {
    super(kind, message, details)
    this.name = 'ServerError'
  }
}

/** The `token` callback failed; the client stays in `needsAuth` and calls it again later. */
export class TokenError extends LumenizeClientError {
  constructor(cause: unknown) {
    super(
      ClientErrorKind.tokenFailed,
      'The token callback failed: the client retries it with backoff and stays in needsAuth meanwhile',
      {},
      cause,
    )
    this.name = 'TokenError'
  }
}
