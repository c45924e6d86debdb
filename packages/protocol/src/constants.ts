// Protocol strings shared by server and clients: paths, headers, close codes.
// Nothing else may spell these as raw literals (see constants.test.ts).

/** Prefix of every per-star route: `/stars/<universe>.<galaxy>.<star>/...`. */
export const STARS_PATH_PREFIX = '/stars/'

/** Sub-paths under `/stars/<starId>`. */
export const STAR_ROUTES = {
  health: 'health',
  sync: 'sync',
  rpc: 'rpc',
} as const

/** Header the Worker uses to tell the Star DO which star it is. */
export const STAR_ID_HEADER = 'x-lumenize-star'

/** WebSocket close codes used by Lumenize (4000–4999 is the application range). */
export const CLOSE_CODES = {
  normal: 1000,
  protocolError: 4400,
  unauthorized: 4401,
  versionMismatch: 4426,
  frameTooLarge: 4413,
  /** Reported, never sent: the connection dropped without a close (RFC 6455's 1006), e.g. a hub that died. */
  abnormal: 1006,
} as const

/**
 * Close codes a peer may report but nobody may send (RFC 6455 7.4.1: no status, abnormal closure,
 * TLS failure): a close handshake answers them with CLOSE_CODES.normal.
 */
export const RESERVED_CLOSE_CODES: readonly number[] = [1005, 1006, 1015]

/**
 * The heartbeat, exactly as sent: the runtime answers this frame with `PONG_FRAME` without waking
 * the star (a hibernated star stays asleep), so clients send it verbatim, never re-serialized.
 */
export const PING_FRAME = '{"type":"ping"}'
export const PONG_FRAME = '{"type":"pong"}'

/** The largest frame a client may send on the sync socket, in bytes. */
export const MAX_CLIENT_FRAME_BYTES = 512 * 1024

/** The largest HTTP body the JSON-RPC endpoint accepts, in bytes. */
export const MAX_RPC_BODY_BYTES = 1_000_000
