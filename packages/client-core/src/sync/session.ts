// The sync protocol over a Connection: connect, (re)subscribe every live shape with its cookie,
// apply pokes at pokeEnd, settle mutations by lastMutationIdChanges, resend after watermarks, and
// tell the lifecycle machine when the client is connected and caught up.
import {
  ErrorKind,
  type MutationError,
  type PokePart,
  PROTOCOL_VERSION,
  type UpMessage,
} from '@lumenize/protocol'
import type { ClientStore } from '../cache/store'
import { type LumenizeClientError, ServerError, TokenError } from '../errors'
import type { Connection } from '../lifecycle/connection'
import { parseDown } from './frames'
import type { PendingQueue } from './pending'
import { type Poke, PokeAssembler } from './pokes'

/** What the session needs of a subscribed shape (see ShapeSubscription). */
export interface SessionShape {
  readonly subId: string
  readonly name: string
  readonly params: Record<string, unknown>
  /** The op-log seq its rows are current at (undefined: never seeded). */
  cookie(): number | undefined
  applyParts(parts: readonly PokePart[]): void
  committed(cookie: number, store: ClientStore | undefined): Promise<void>
  failed(error: LumenizeClientError): void
}

export interface SessionOptions {
  connection: () => Connection
  pending: PendingQueue
  clientId: string
  clientGroupId: () => string
  token?: string | (() => string | undefined | Promise<string | undefined>) | undefined
  store: () => ClientStore | undefined
  /** Rows from the server were applied (a poke). */
  synced: () => void
  reportError: (error: LumenizeClientError) => void
  /** A whole poke was applied to every subscription (a hub passes it on to its tabs). */
  onApplied?: (poke: Poke) => void
  /** The server refused a mutation (a hub tells every tab: the owner rejects, siblings drop it). */
  onMutationError?: (message: MutationError) => void
}

/** Where one shape's subscription is on the current connection. */
type Subscription = { phase: 'sent' } | { phase: 'live' }

export class SyncSession {
  private readonly pokes = new PokeAssembler()
  /** The shapes that want to be subscribed (hydrated from the cache, not released). */
  private readonly wanted = new Set<SessionShape>()
  /** Subscriptions of the current connection; cleared when it goes. */
  private readonly subs = new Map<SessionShape, Subscription>()

  constructor(private readonly o: SessionOptions) {}

  private get connection(): Connection {
    return this.o.connection()
  }

  /** A shape wants its rows: subscribe now if connected, else on the next `connected`. */
  subscribe(shape: SessionShape): void {
    this.wanted.add(shape)
    if (this.connection.live && !this.subs.has(shape)) {
      this.sendSubscribe(shape)
      this.connection.dispatch('resubscribe')
    }
  }

  unsubscribe(shape: SessionShape): void {
    this.wanted.delete(shape)
    if (this.connection.live && this.subs.has(shape)) this.send({ type: 'unsubscribe', subId: shape.subId })
    this.subs.delete(shape)
    this.maybeCaughtUp()
  }

  /** A socket opened: introduce this client. */
  async opened(gen: number): Promise<void> {
    let token: string | undefined
    try {
      token = typeof this.o.token === 'function' ? await this.o.token() : this.o.token
    } catch (err) {
      this.o.reportError(new TokenError(err))
      if (gen === this.connection.gen) this.connection.dispatch('authRefused')
      return
    }
    if (gen !== this.connection.gen) return
    this.send({
      type: 'connect',
      protocolVersion: PROTOCOL_VERSION,
      clientGroupId: this.o.clientGroupId(),
      clientId: this.o.clientId,
      ...(token === undefined ? {} : { token }),
    })
  }

  /** The connection's socket is gone: everything of it is void. */
  dropped(): void {
    this.pokes.reset()
    this.subs.clear()
    this.o.pending.disconnected()
  }

  onMessage(frame: unknown): void {
    const msg = parseDown(frame)
    if (!msg) return
    switch (msg.type) {
      case 'connected': {
        this.connection.dispatch('connected')
        // Subscribe before pushing: the server then seeds each shape first and pokes the pushed
        // mutations' effects into it together with their confirmation.
        for (const s of this.wanted) this.sendSubscribe(s)
        this.o.pending.connected(this.connection.gen, msg.watermark)
        this.maybeCaughtUp()
        return
      }
      case 'pokeStart':
        this.pokes.start(msg)
        return
      case 'pokePart':
        this.pokes.part(msg)
        return
      case 'pokeEnd': {
        const poke = this.pokes.end(msg)
        if (poke) this.apply(poke)
        return
      }
      case 'mutationError':
        this.o.pending.fail(msg.clientId, msg.id, msg.error)
        this.o.onMutationError?.(msg)
        return
      case 'error':
        this.onError(msg.kind, msg.message, msg.details ?? {})
        return
      case 'pong':
        return
      default:
        msg satisfies never
    }
  }

  /** Applies a whole poke: every subscription's writes as one sync transaction each, then confirmations. */
  private apply(poke: Poke): void {
    const bySub = new Map<string, SessionShape>()
    for (const s of this.subs.keys()) bySub.set(s.subId, s)
    for (const [subId, parts] of poke.parts) {
      const s = bySub.get(subId)
      if (!s) continue
      s.applyParts(parts)
      this.subs.set(s, { phase: 'live' })
    }
    const store = this.o.store()
    for (const [s, sub] of this.subs) if (sub.phase === 'live') void s.committed(poke.cookie, store)
    this.o.synced()
    // Resolve right after the commits (never by awaiting them): the held commits then apply
    // together with dropping the confirmed optimistic state.
    this.o.pending.confirm(poke.lastMutationIdChanges, !this.caughtUp())
    this.o.onApplied?.(poke)
    this.maybeCaughtUp()
  }

  private sendSubscribe(shape: SessionShape): void {
    this.subs.set(shape, { phase: 'sent' })
    const cookie = shape.cookie()
    this.send({
      type: 'subscribe',
      subId: shape.subId,
      shape: shape.name,
      ...(Object.keys(shape.params).length > 0 ? { params: shape.params } : {}),
      ...(cookie === undefined ? {} : { cookie }),
    })
  }

  private caughtUp(): boolean {
    for (const sub of this.subs.values()) if (sub.phase === 'sent') return false
    return true
  }

  /** Every subscription of this connection has its first poke: caught up, and confirmations held meanwhile settle. */
  private maybeCaughtUp(): void {
    if (!this.connection.live || !this.caughtUp()) return
    this.o.pending.releaseAcknowledged()
    this.connection.dispatch('caughtUp')
  }

  private send(message: UpMessage): boolean {
    return this.connection.send(message)
  }

  private onError(kind: string, message: string, details: Record<string, unknown>): void {
    if (kind === ErrorKind.outOfOrder && typeof details.watermark === 'number') {
      const cid = typeof details.clientId === 'string' ? details.clientId : this.o.clientId
      this.o.pending.outOfOrder(cid, details.watermark)
      return
    }
    const error = new ServerError(kind, message, details)
    const subId = typeof details.subId === 'string' ? details.subId : undefined
    const shape = subId === undefined ? undefined : [...this.subs.keys()].find((s) => s.subId === subId)
    if (shape) {
      // Refused for good (unknown shape, bad params): it stops counting as "still syncing".
      this.subs.delete(shape)
      this.wanted.delete(shape)
      shape.failed(error)
      this.maybeCaughtUp()
      return
    }
    this.o.reportError(error)
  }
}
