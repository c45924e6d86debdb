// The connection: turns what the transport, the network and the heartbeat report into machine
// events, and carries out each transition's effects on the transport (pause while the browser is
// offline, a fresh socket after a silent one, stop after a refusal). The protocol lives in
// sync/session.ts; this module only knows sockets.
import { CLOSE_CODES } from '@lumenize/protocol'
import type { Transport, TransportStatus } from '../transport'
import { isLive, type MachineEvent, type MachineState, transition } from './machine'
import type { NetworkSignals } from './network'

/** Heartbeat tuning, in ms: a ping after `intervalMs` of silence; no answer within `timeoutMs` is a dead socket. */
export interface HeartbeatOptions {
  intervalMs?: number
  timeoutMs?: number
}

/** Silence is noticed within interval + timeout + two ticks: 4 + 4 + 2 × 1 s = 10 s by default. */
export const DEFAULT_HEARTBEAT: Required<HeartbeatOptions> = { intervalMs: 4_000, timeoutMs: 4_000 }

export interface ConnectionOptions {
  transport: Transport
  network: NetworkSignals
  heartbeat?: HeartbeatOptions
  /** A socket opened (generation `gen`): say who we are. */
  onOpen(gen: number): void
  /** The socket of the current generation is gone (dropped, silent, refused, paused). */
  onDrop(): void
  /** A frame from the server (already unbundled, unvalidated). */
  onMessage(message: unknown): void
  /** The machine moved. */
  onTransition(next: MachineState, prev: MachineState, event: MachineEvent): void
}

export class Connection {
  private current: MachineState = 'connecting'
  /** Increments on every socket that opens; a session's state belongs to one generation. */
  private generation = 0
  private socketUp = false
  private readonly unlisten: Array<() => void> = []
  private readonly heartbeat: Required<HeartbeatOptions>
  private ticker: ReturnType<typeof setInterval> | undefined
  private lastHeard = 0
  private pingSentAt: number | undefined

  constructor(private readonly o: ConnectionOptions) {
    this.heartbeat = { ...DEFAULT_HEARTBEAT, ...o.heartbeat }
  }

  get state(): MachineState {
    return this.current
  }

  get gen(): number {
    return this.generation
  }

  /** True after the server's `connected`, until the socket goes. */
  get live(): boolean {
    return isLive(this.current)
  }

  /** Starts listening and connecting (unless the browser already says it is offline). */
  start(): void {
    const t = this.o.transport
    this.unlisten.push(
      t.onStatus((s, detail) => this.onStatus(s, detail)),
      t.onMessage((m) => this.onMessage(m)),
      this.o.network.subscribe((online) => this.dispatch(online ? 'browserOnline' : 'browserOffline')),
    )
    if (this.o.network.online()) t.connect()
    else this.dispatch('browserOffline')
  }

  send(message: Parameters<Transport['send']>[0]): boolean {
    return this.o.transport.send(message)
  }

  /** Moves the machine and carries out the transition's effects. */
  dispatch(event: MachineEvent): void {
    const prev = this.current
    const next = transition(prev, event)
    this.current = next
    this.effects(prev, next, event)
    if (next !== prev) this.o.onTransition(next, prev, event)
  }

  /** The socket is useless (token failed, server refused us): drop it and wait for a retry. */
  dropSocket(): void {
    this.o.transport.disconnect()
    this.lost()
  }

  private effects(prev: MachineState, next: MachineState, event: MachineEvent): void {
    const t = this.o.transport
    switch (event) {
      case 'browserOffline':
        // Nothing gets through: stop trying until the browser says the network is back.
        if (next === 'offlineBrowser' && prev !== 'offlineBrowser') this.dropSocket()
        return
      case 'browserOnline':
        if (prev === 'offlineBrowser') t.connect()
        // Offline for another reason: try again now rather than after the backoff.
        else if (next === 'offlineUnreachable' || next === 'offlineSilent') this.reconnectNow()
        return
      case 'heartbeatTimeout':
        if (next === 'offlineSilent') this.reconnectNow()
        return
      case 'authRefused':
      case 'versionRefused':
        this.dropSocket()
        return
      case 'authRetry':
        if (next === 'connecting') t.connect()
        return
      case 'close':
        for (const u of this.unlisten.splice(0)) u()
        this.dropSocket()
        return
      default:
        return
    }
  }

  private reconnectNow(): void {
    this.dropSocket()
    this.o.transport.connect()
  }

  private onStatus(s: TransportStatus, detail?: { code?: number }): void {
    if (s === 'open') {
      this.generation++
      this.socketUp = true
      this.lastHeard = Date.now()
      this.pingSentAt = undefined
      this.startTicker()
      this.dispatch('socketOpen')
      this.o.onOpen(this.generation)
      return
    }
    this.lost()
    const code = detail?.code
    if (code === CLOSE_CODES.unauthorized) this.dispatch('authRefused')
    else if (code === CLOSE_CODES.versionMismatch) this.dispatch('versionRefused')
    else this.dispatch('socketClosed')
  }

  private lost(): void {
    if (this.ticker !== undefined) clearInterval(this.ticker)
    this.ticker = undefined
    if (!this.socketUp) return
    this.socketUp = false
    this.o.onDrop()
  }

  private onMessage(message: unknown): void {
    this.lastHeard = Date.now()
    this.pingSentAt = undefined
    if (typeof message === 'object' && message !== null && 'type' in message && message.type === 'pong')
      return
    this.o.onMessage(message)
  }

  /** Pings a quiet socket; a ping unanswered in time means the connection is dead without a close. */
  private startTicker(): void {
    if (this.ticker !== undefined) clearInterval(this.ticker)
    const { intervalMs, timeoutMs } = this.heartbeat
    const tickMs = Math.max(50, Math.min(1_000, Math.min(intervalMs, timeoutMs) / 4))
    this.ticker = setInterval(() => {
      const now = Date.now()
      if (this.pingSentAt !== undefined) {
        if (now - this.pingSentAt >= timeoutMs) this.dispatch('heartbeatTimeout')
      } else if (now - this.lastHeard >= intervalMs) {
        this.pingSentAt = now
        this.o.transport.send({ type: 'ping' })
      }
    }, tickMs)
    // A heartbeat alone must not keep a Node process alive.
    ;(this.ticker as { unref?: () => void }).unref?.()
  }
}
