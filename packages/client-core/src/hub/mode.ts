// Which transport a client uses: its own socket, a SharedWorker hub, or a leader tab's hub. `auto`
// picks what works where: a SharedWorker on Chromium-based desktop browsers and Chrome for Android
// 148+, the leader election on Safari (WebKit's SharedWorker is reported unreliable) and wherever
// SharedWorker is absent, and a socket of its own where there are no tabs to share with (Node).
import { ClientErrorKind, LumenizeClientError } from '../errors'

/** How tabs share (or not) one socket and one cache. */
export type TransportMode = 'auto' | 'sharedworker' | 'leader' | 'socket'

/** What `auto` and the explicit modes resolve to. */
export type ResolvedMode = 'sharedworker' | 'leader' | 'socket'

interface Runtime {
  userAgent: string
  hasSharedWorker: boolean
  hasLocks: boolean
  hasBroadcastChannel: boolean
  /** A window (tabs exist), not a worker or Node. */
  isWindow: boolean
}

function runtime(): Runtime {
  const g = globalThis as {
    navigator?: { userAgent?: string; locks?: unknown }
    SharedWorker?: unknown
    BroadcastChannel?: unknown
    document?: unknown
  }
  return {
    userAgent: g.navigator?.userAgent ?? '',
    hasSharedWorker: typeof g.SharedWorker === 'function',
    hasLocks: g.navigator?.locks !== undefined,
    hasBroadcastChannel: typeof g.BroadcastChannel === 'function',
    isWindow: typeof g.document !== 'undefined',
  }
}

/**
 * Whether this browser's SharedWorker can hold the socket: not WebKit (Safari, and every iOS
 * browser), and on Android only Chrome 148+ (earlier ones have none).
 */
export function sharedWorkerWorks(ua: string, hasSharedWorker: boolean): boolean {
  if (!hasSharedWorker) return false
  const webkit = /AppleWebKit/.test(ua) && !/Chrome|Chromium|Edg\//.test(ua)
  const ios = /iPhone|iPad|iPod|CriOS|FxiOS|EdgiOS/.test(ua)
  if (webkit || ios) return false
  if (/Android/.test(ua)) {
    const major = Number(/Chrome\/(\d+)/.exec(ua)?.[1] ?? 0)
    return major >= 148
  }
  return true
}

/** The mode a client runs in, or why the one asked for cannot run here. */
export function resolveMode(
  asked: TransportMode,
  o: { persistence: 'indexeddb' | 'memory'; hasSpawner: boolean },
  rt: Runtime = runtime(),
): ResolvedMode {
  // Web Locks, or (Node, tests) the in-process stand-in: what the election needs is the channel.
  const leaderWorks = rt.hasBroadcastChannel && (rt.hasLocks || !rt.isWindow)
  const workerWorks = o.hasSpawner && sharedWorkerWorks(rt.userAgent, rt.hasSharedWorker)
  switch (asked) {
    case 'socket':
      return 'socket'
    case 'sharedworker':
      if (!o.hasSpawner)
        throw unsupported(
          'transport "sharedworker" needs the `sharedWorker` option (from @lumenize/sharedworker)',
        )
      if (!rt.hasSharedWorker) throw unsupported('this runtime has no SharedWorker: use "leader" or "auto"')
      return 'sharedworker'
    case 'leader':
      if (!leaderWorks)
        throw unsupported('the leader election needs Web Locks and BroadcastChannel: use "socket"')
      return 'leader'
    case 'auto':
      // Nothing to share without a shared cache, and no tabs outside a window.
      if (o.persistence === 'memory' || !rt.isWindow) return 'socket'
      if (workerWorks) return 'sharedworker'
      return leaderWorks ? 'leader' : 'socket'
    default:
      return asked satisfies never
  }
}

function unsupported(message: string): LumenizeClientError {
  return new LumenizeClientError(ClientErrorKind.unsupportedTransport, message)
}
