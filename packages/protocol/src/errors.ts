// Error kinds that cross the wire. Errors on the wire are data: `{ kind, message, ...details }`.
import * as v from 'valibot'

/** Every error kind Lumenize sends, as stable string constants. */
export const ErrorKind = {
  invalidStarId: 'INVALID_STAR_ID',
  notFound: 'NOT_FOUND',
  methodNotAllowed: 'METHOD_NOT_ALLOWED',
  badFrame: 'BAD_FRAME',
  payloadTooLarge: 'PAYLOAD_TOO_LARGE',
  internal: 'INTERNAL',
  // Application errors of the store (also JSON-RPC errors with the codes below).
  validation: 'VALIDATION_FAILED',
  conflict: 'CONFLICT',
  unique: 'UNIQUE_VIOLATION',
  reference: 'REFERENCE_VIOLATION',
  referenced: 'STILL_REFERENCED',
  unknownType: 'UNKNOWN_TYPE',
  typeMismatch: 'TYPE_MISMATCH',
  cycle: 'CYCLE',
  secondRoot: 'SECOND_ROOT',
  danglingEdge: 'DANGLING_EDGE',
  notALeaf: 'NOT_A_LEAF',
  rootImmutable: 'ROOT_IMMUTABLE',
  // Sync protocol.
  outOfOrder: 'OUT_OF_ORDER',
  unknownShape: 'UNKNOWN_SHAPE',
  invalidParams: 'INVALID_PARAMS',
  unknownMutator: 'UNKNOWN_MUTATOR',
  protocolVersion: 'PROTOCOL_VERSION',
  notConnected: 'NOT_CONNECTED',
  unauthorized: 'UNAUTHORIZED',
  unknownSubscription: 'UNKNOWN_SUBSCRIPTION',
  /** A malformed `where` filter: JSON-RPC -32602 (invalid params) with this kind in `data`. */
  invalidFilter: 'INVALID_FILTER',
} as const

export type ErrorKind = (typeof ErrorKind)[keyof typeof ErrorKind]

/**
 * Stable JSON-RPC error codes of application errors (outside the spec's reserved -32768..-32000).
 * Never renumber: clients switch on them.
 */
export const APP_ERROR_CODES = {
  [ErrorKind.validation]: 1001,
  [ErrorKind.notFound]: 1002,
  [ErrorKind.conflict]: 1003,
  [ErrorKind.unique]: 1004,
  [ErrorKind.reference]: 1005,
  [ErrorKind.referenced]: 1006,
  [ErrorKind.unknownType]: 1007,
  [ErrorKind.typeMismatch]: 1008,
  [ErrorKind.cycle]: 1009,
  [ErrorKind.secondRoot]: 1010,
  [ErrorKind.danglingEdge]: 1011,
  [ErrorKind.notALeaf]: 1012,
  [ErrorKind.rootImmutable]: 1013,
  [ErrorKind.payloadTooLarge]: 1014,
  [ErrorKind.unknownShape]: 1015,
  [ErrorKind.invalidParams]: 1016,
  [ErrorKind.unknownMutator]: 1017,
  [ErrorKind.outOfOrder]: 1018,
  [ErrorKind.unauthorized]: 1019,
} as const satisfies Partial<Record<ErrorKind, number>>

export type AppErrorKind = keyof typeof APP_ERROR_CODES

/** One of the known error kinds (the strict wire schemas refuse any other). */
export const ErrorKindSchema = v.picklist(Object.values(ErrorKind))

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
