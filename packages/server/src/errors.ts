// Errors of the store: typed, with a message that says what to do, and details that travel on the wire.
import { type AppErrorKind, ErrorKind } from '@lumenize/protocol'

/** Root of every error the store raises on purpose. Anything else is an internal error. */
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
  new LumenizeError(ErrorKind.validation, message, details)

export const notFound = (id: string): LumenizeError =>
  new LumenizeError(ErrorKind.notFound, `No entity ${id} (or it is deleted)`, { id })

export const conflict = (id: string, expected: number, current: number): LumenizeError =>
  new LumenizeError(
    ErrorKind.conflict,
    `Entity ${id} is at version ${current}, not ${expected}: re-read it and retry with ifMatch ${current}`,
    { id, expected, current },
  )
