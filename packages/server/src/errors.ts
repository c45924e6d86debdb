// Errors of the server, from one place: the thrown application errors (store, shapes, mutators) with
// factories for the common ones, and the `error` messages of the sync socket. Kinds come from the
// protocol only; every message says what to do.
import { type AppErrorKind, type ErrorKind, type ErrorMessage, ErrorKind as Kind } from '@lumenize/protocol'

/** Root of every error the server raises on purpose. Anything else is an internal error. */
export class LumenizeError extends Error {
  constructor(
    readonly kind: AppErrorKind,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message)
    this.name = 'LumenizeError'
  }
}

export const validationError = (message: string, details: Record<string, unknown> = {}): LumenizeError =>
  new LumenizeError(Kind.validation, message, details)

export const notFound = (id: string): LumenizeError =>
  new LumenizeError(Kind.notFound, `No entity ${id} (or it is deleted)`, { id })

export const conflict = (id: string, expected: number, current: number): LumenizeError =>
  new LumenizeError(
    Kind.conflict,
    `Entity ${id} is at version ${current}, not ${expected}: re-read it and retry with ifMatch ${current}`,
    { id, expected, current },
  )

export const typeMismatch = (id: string, type: string, wanted: string): LumenizeError =>
  new LumenizeError(Kind.typeMismatch, `Entity ${id} is a ${type}, not ${article(wanted)} ${wanted}`, {
    id,
    type,
  })

const article = (word: string): string => (/^[AEIOU]/.test(word) ? 'an' : 'a')

export const unknownType = (type: string, known: readonly string[]): LumenizeError =>
  new LumenizeError(Kind.unknownType, `Unknown entity type "${type}": declare it in the server config`, {
    type,
    known,
  })

export const unknownShape = (shape: string, known: readonly string[]): LumenizeError =>
  new LumenizeError(Kind.unknownShape, `Unknown shape "${shape}"`, { shape, known })

export const invalidParams = (shape: string, problem: string): LumenizeError =>
  new LumenizeError(Kind.invalidParams, `Invalid params for shape ${shape}: ${problem}`, { shape })

export const unknownMutator = (name: string, known: readonly string[]): LumenizeError =>
  new LumenizeError(Kind.unknownMutator, `Unknown mutator "${name}"`, { name, known })

/** A JSON-RPC method that exists only with LUMENIZE_TEST_HOOKS=1. */
export const testHookOnly = (method: string): LumenizeError =>
  new LumenizeError(Kind.notFound, `${method} is only available with test hooks on`, {})

/** The `error` message of the sync socket. */
export function errorMessage(
  kind: ErrorKind,
  message: string,
  details?: Record<string, unknown>,
): ErrorMessage {
  return details ? { type: 'error', kind, message, details } : { type: 'error', kind, message }
}

/** The socket errors the sync engine sends most. */
export const socketErrors = {
  badFrame: (message: string, details?: Record<string, unknown>) =>
    errorMessage(Kind.badFrame, message, details),
  notConnected: () => errorMessage(Kind.notConnected, 'Send connect first'),
  otherGroup: (clientId: string) =>
    errorMessage(Kind.badFrame, `Client ${clientId} belongs to another client group`),
  frameTooLarge: (size: number, limit: number) =>
    errorMessage(Kind.payloadTooLarge, `Frame is ${size} bytes; the limit is ${limit}`, { size, limit }),
  /** A thrown LumenizeError as a socket error (subscribe refusals carry their subId). */
  of: (err: LumenizeError, extra: Record<string, unknown> = {}) =>
    errorMessage(err.kind, err.message, { ...err.details, ...extra }),
} as const

/** What a mutator's failure tells the client: the error's kind and details, or nothing internal. */
export function mutationFailure(err: unknown): {
  kind: ErrorKind
  message: string
  details?: Record<string, unknown>
} {
  if (err instanceof LumenizeError) return { kind: err.kind, message: err.message, details: err.details }
  return { kind: Kind.internal, message: 'The mutator failed on the server' }
}
