// How sync frames travel. The collections only see this interface, so a SharedWorker port can carry
// the same protocol later; the default is a partysocket (reconnecting, backoff with jitter) WebSocket.
import {
  CLOSE_CODES,
  PING_FRAME,
  STAR_ROUTES,
  STARS_PATH_PREFIX,
  type UpMessage,
  unbundle,
} from '@lumenize/protocol'
import { WebSocket as ReconnectingWebSocket } from 'partysocket'

export type TransportStatus = 'open' | 'closed'

/**
 * A bidirectional, ordered channel for sync frames that reconnects on its own until `disconnect()`.
 * Frames sent while it is not open may be dropped: the client re-sends what matters on reopen.
 */
export interface Transport {
  /** Starts connecting (and reconnecting after drops, with backoff) until `disconnect()`. */
  connect(): void
  /**
   * Drops the socket on purpose and stops reconnecting until the next `connect()`. No `closed`
   * status is reported for a socket dropped this way: the caller knows.
   */
  disconnect(): void
  /** Sends one frame; returns false when it could not be sent now. */
  send(message: UpMessage): boolean
  /** Frames from the server, already parsed from JSON (still unvalidated). */
  onMessage(listener: (message: unknown) => void): () => void
  /** `open` when a socket opened; `closed` when one closed or failed to open (with its close code). */
  onStatus(
    listener: (status: TransportStatus, detail?: { code?: number; reason?: string }) => void,
  ): () => void
}

/** A WebSocket class (the browser's, or `ws` in Node 20, which has no global WebSocket). */
export type WebSocketLike = abstract new (url: string, protocols?: string | string[]) => object

/** Reconnection tuning; times in ms. Delays get ±25% jitter so that clients do not retry in step. */
export interface ReconnectOptions {
  minReconnectionDelay?: number
  maxReconnectionDelay?: number
  reconnectionDelayGrowFactor?: number
  connectionTimeout?: number
  /** How long a socket must stay open before the backoff resets. */
  minUptime?: number
}

export const DEFAULT_RECONNECT: Required<ReconnectOptions> = {
  minReconnectionDelay: 400,
  maxReconnectionDelay: 10_000,
  reconnectionDelayGrowFactor: 1.6,
  connectionTimeout: 4_000,
  minUptime: 2_000,
}

/** `http://host:8787` → `ws://host:8787/stars/<star>/sync` (https → wss). */
export function syncUrl(url: string, star: string): string {
  const base = url.replace(/\/+$/, '').replace(/^http/, 'ws')
  return `${base}${STARS_PATH_PREFIX}${star}/${STAR_ROUTES.sync}`
}

const jitter = (ms: number): number => Math.round(ms * (0.75 + Math.random() * 0.5))

/** Close codes after which retrying cannot help (refused token, unsupported protocol). */
const FATAL_CLOSE_CODES: ReadonlySet<number> = new Set([
  CLOSE_CODES.unauthorized,
  CLOSE_CODES.versionMismatch,
])

/**
 * The default transport: a partysocket ReconnectingWebSocket to the star's sync route.
 *
 * @example
 * import WebSocket from 'ws'
 * const transport = partySocketTransport({ url: 'http://127.0.0.1:8787', star: 'acme.prod.main', WebSocket })
 */
export function partySocketTransport(options: {
  url: string
  star: string
  WebSocket?: WebSocketLike
  reconnect?: ReconnectOptions
}): Transport {
  const tuning = { ...DEFAULT_RECONNECT, ...options.reconnect }
  const messageListeners = new Set<(m: unknown) => void>()
  const statusListeners = new Set<Parameters<Transport['onStatus']>[0]>()
  let socket: ReconnectingWebSocket | undefined
  const emit = (status: TransportStatus, detail?: { code?: number; reason?: string }): void => {
    for (const l of [...statusListeners]) l(status, detail)
  }
  return {
    connect() {
      if (socket) return
      // partysocket reads its options on every retry: getters give each delay fresh jitter.
      const socketOptions = {
        ...(options.WebSocket ? { WebSocket: options.WebSocket } : {}),
        get minReconnectionDelay() {
          return jitter(tuning.minReconnectionDelay)
        },
        get maxReconnectionDelay() {
          return jitter(tuning.maxReconnectionDelay)
        },
        reconnectionDelayGrowFactor: tuning.reconnectionDelayGrowFactor,
        connectionTimeout: tuning.connectionTimeout,
        minUptime: tuning.minUptime,
        // Frames are never queued by the socket: the client re-sends what is still needed on reopen.
        maxEnqueuedMessages: 0,
        shouldReconnectOnClose: (e: { code: number }) => !FATAL_CLOSE_CODES.has(e.code),
      }
      const own = new ReconnectingWebSocket(syncUrl(options.url, options.star), undefined, socketOptions)
      socket = own
      // Events of a socket dropped by `disconnect` are not reported.
      own.addEventListener('open', () => {
        if (socket === own) emit('open')
      })
      own.addEventListener('close', (e) => {
        if (socket === own) emit('closed', { code: e.code, reason: e.reason })
      })
      own.addEventListener('message', (e) => {
        if (socket !== own || typeof e.data !== 'string') return
        let parsed: unknown
        try {
          parsed = JSON.parse(e.data)
        } catch {
          return
        }
        // A frame may bundle several messages; listeners get them one at a time, in order.
        for (const message of unbundle(parsed)) for (const l of [...messageListeners]) l(message)
      })
    },
    disconnect() {
      const own = socket
      socket = undefined
      own?.close(CLOSE_CODES.normal)
    },
    send(message) {
      if (!socket || socket.readyState !== socket.OPEN) return false
      // The heartbeat goes out byte for byte as the runtime expects it (answered without the star).
      socket.send(message.type === 'ping' ? PING_FRAME : JSON.stringify(message))
      return true
    },
    onMessage(listener) {
      messageListeners.add(listener)
      return () => messageListeners.delete(listener)
    },
    onStatus(listener) {
      statusListeners.add(listener)
      return () => statusListeners.delete(listener)
    },
  }
}
