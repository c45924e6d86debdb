// Error kinds that cross the wire. Errors on the wire are data: `{ kind, message, ...details }`.

/** Every error kind Lumenize sends, as stable string constants. */
export const ErrorKind = {
  invalidStarId: 'INVALID_STAR_ID',
  notFound: 'NOT_FOUND',
  methodNotAllowed: 'METHOD_NOT_ALLOWED',
  badFrame: 'BAD_FRAME',
  payloadTooLarge: 'PAYLOAD_TOO_LARGE',
  internal: 'INTERNAL',
} as const

export type ErrorKind = (typeof ErrorKind)[keyof typeof ErrorKind]

/** An error as it travels on the wire. */
export interface WireError {
  kind: ErrorKind
  message: string
  details?: Record<string, unknown>
}

/** The JSON body of every HTTP error response. */
export interface HttpErrorBody {
  error: WireError
}
