// Where there is no (reliable) SharedWorker, the tabs of a cache elect a leader with a Web Lock: the
// leader runs the hub in its page, its own client talks to it over a MessageChannel, and the other
// tabs over a BroadcastChannel, each message addressed to a tab or to the leader. When the leader's
// page goes, its locks go with it: the next tab waiting on the lock becomes leader, and every tab's
// transport (watching the hub's lock) connects to the new hub.
import type { AcquireLock, HeldLock } from '../locks'
import type { Hub } from './hub'
import { messagePort, type PortLike } from './port'

interface Envelope {
  to: string
  from?: string
  msg: unknown
}

const isEnvelope = (x: unknown): x is Envelope =>
  typeof x === 'object' && x !== null && 'to' in x && typeof x.to === 'string' && 'msg' in x

const LEADER = 'leader'

export interface LeaderOptions {
  clientId: string
  locks: AcquireLock
  /** The lock the leader holds (one per cache and build). */
  leaderLock: string
  /** The BroadcastChannel the tabs and the leader talk on. */
  bus: string
  /** Makes the hub this tab runs once it leads. */
  makeHub: () => Hub
}

/** This tab's part in the election, and the port to whichever hub leads now. */
export class LeaderLink {
  private hub: Hub | undefined
  private lock: HeldLock | null = null
  private readonly abort = new AbortController()
  private readonly bus: BroadcastChannel
  private readonly peers = new Map<string, { deliver: (m: unknown) => void }>()
  private closed = false

  constructor(private readonly o: LeaderOptions) {
    this.bus = new BroadcastChannel(o.bus)
    this.bus.addEventListener('message', (e: MessageEvent) => this.route(e.data))
    void o.locks(o.leaderLock, { signal: this.abort.signal }).then((lock) => {
      if (!lock) return
      if (this.closed) return lock.release()
      this.lock = lock
      this.lead()
    })
  }

  /** Whether this tab runs the hub. */
  get leading(): boolean {
    return this.hub !== undefined
  }

  /**
   * A port to the hub that leads: this tab's own hub (over a MessageChannel) once this tab leads, the
   * leader's over the bus until then. Which one is decided at each message, so a tab that wins the
   * election while its hello goes unanswered reaches its own hub with the next one.
   */
  open(): PortLike {
    const listeners = new Set<(m: unknown) => void>()
    const deliver = (m: unknown): void => {
      for (const l of [...listeners]) l(m)
    }
    const fromBus = (e: MessageEvent): void => {
      const data: unknown = e.data
      if (isEnvelope(data) && data.to === this.o.clientId) deliver(data.msg)
    }
    this.bus.addEventListener('message', fromBus)
    let own: PortLike | undefined
    const ownPort = (): PortLike | undefined => {
      if (!own && this.hub) {
        const channel = new MessageChannel()
        this.hub.connect(messagePort(channel.port2))
        own = messagePort(channel.port1)
        own.listen(deliver)
      }
      return own
    }
    return {
      postMessage: (msg) => {
        const port = ownPort()
        if (port) port.postMessage(msg)
        else this.post({ to: LEADER, from: this.o.clientId, msg })
      },
      listen(l) {
        listeners.add(l)
        return () => listeners.delete(l)
      },
      close: () => {
        this.bus.removeEventListener('message', fromBus)
        own?.close()
      },
    }
  }

  /** Steps down (the client closed): the hub closes, and another tab takes over. */
  async close(): Promise<void> {
    this.closed = true
    this.abort.abort()
    await this.hub?.close()
    this.lock?.release()
    this.bus.close()
  }

  private lead(): void {
    const hub = this.o.makeHub()
    this.hub = hub
    void hub.start()
  }

  /** Messages for the leader, from a follower: each follower is one port of the hub. */
  private route(data: unknown): void {
    const hub = this.hub
    if (!hub || !isEnvelope(data) || data.to !== LEADER || typeof data.from !== 'string') return
    const from = data.from
    let peer = this.peers.get(from)
    if (!peer) {
      const listeners = new Set<(m: unknown) => void>()
      const created = {
        deliver: (m: unknown) => {
          for (const l of [...listeners]) l(m)
        },
      }
      peer = created
      this.peers.set(from, created)
      hub.connect({
        postMessage: (msg) => this.post({ to: from, msg }),
        listen(l) {
          listeners.add(l)
          return () => listeners.delete(l)
        },
        close: () => {
          if (this.peers.get(from) === created) this.peers.delete(from)
        },
      })
    }
    peer.deliver(data.msg)
  }

  private post(envelope: Envelope): void {
    try {
      this.bus.postMessage(envelope)
    } catch {
      // The channel is closed: this tab is leaving.
    }
  }
}
