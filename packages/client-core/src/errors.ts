// Errors of the client: one root class, a category per source, messages that say what to do.
import type { ErrorKind } from '@lumenize/protocol'

/** Root of every error the client raises on purpose. `kind` is a wire error kind or a client one. */
export class LumenizeClientError extends Error {
  readonly kind: string
  readonly details: Readonly<Record<string, unknown>>

  constructor(kind: string, message: string, details: Record<string, unknown> = {}, cause?: unknown) {
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
 * catch (e) { if (e instanceof MutationRejectedError && e.kind === 'VALIDATION_FAILED') showIssues(e.details) }
 */
export class MutationRejectedError extends LumenizeClientError {
  override readonly kind: ErrorKind
  /** The per-client id the mutation had. */
  readonly mutationId: number
  /** The mutator's name (`upsert`, `patch`, a custom one...). */
  readonly mutator: string

  constructor(
    kind: ErrorKind,
    message: string,
    details: Record<string, unknown>,
    mutationId: number,
    mutator: string,
  ) {
    super(kind, message, details)
    this.name = 'MutationRejectedError'
    this.kind = kind
    this.mutationId = mutationId
    this.mutator = mutator
  }
}

/**
 * A mutation was sent while online but not confirmed in time. Its optimistic effect is rolled back
 * (so that it stops holding remote updates), yet it stays queued and is still delivered exactly once:
 * if the server applies it later, its effect arrives like any remote change.
 */
export class MutationTimeoutError extends LumenizeClientError {
  constructor(mutationId: number, mutator: string, timeoutMs: number) {
    super(
      'MUTATION_TIMEOUT',
      `Mutation ${mutationId} (${mutator}) was not confirmed within ${timeoutMs} ms; it stays queued and may still apply`,
      { mutationId, mutator, timeoutMs },
    )
    this.name = 'MutationTimeoutError'
  }
}

/** The client was closed while the operation was still waiting. Queued mutations stay persisted. */
export class ClientClosedError extends LumenizeClientError {
  constructor() {
    super('CLIENT_CLOSED', 'The client was closed; pending mutations are kept and sent by the next client')
    this.name = 'ClientClosedError'
  }
}

/** Thrown when the browser offers no IndexedDB (private modes, some embedded webviews). */
export class CacheUnavailableError extends LumenizeClientError {
  constructor(cause?: unknown) {
    super(
      'CACHE_UNAVAILABLE',
      'IndexedDB is not available here: using memory (nothing survives a reload). Allow site storage, or pass persistence: "memory"',
      {},
      cause,
    )
    this.name = 'CacheUnavailableError'
  }
}

/** A write to IndexedDB failed (typically over quota); the client goes on in memory. */
export class CacheWriteError extends LumenizeClientError {
  constructor(cause: unknown) {
    const quota = cause instanceof Error && cause.name === 'QuotaExceededError'
    super(
      quota ? 'CACHE_QUOTA' : 'CACHE_WRITE_FAILED',
      quota
        ? 'IndexedDB is over quota: the cache now lives in memory only. Free site storage to persist again'
        : 'Writing to IndexedDB failed: the cache now lives in memory only',
      {},
      cause,
    )
    this.name = 'CacheWriteError'
  }
}

/** A JSON-RPC call failed. `code` is the JSON-RPC code; `kind` comes from `error.data.kind` when set. */
export class RpcCallError extends LumenizeClientError {
  readonly code: number

  constructor(code: number, message: string, data: unknown) {
    const details = typeof data === 'object' && data !== null ? (data as Record<string, unknown>) : {}
    super(typeof details.kind === 'string' ? details.kind : `RPC_${code}`, message, details)
    this.name = 'RpcCallError'
    this.code = code
  }
}

/** The server sent an `error` frame that is not about a mutation (bad shape params, auth...). */
export class ServerError extends LumenizeClientError {
  constructor(kind: string, message: string, details: Record<string, unknown> = {}) {
    super(kind, message, details)
    this.name = 'ServerError'
  }
}
