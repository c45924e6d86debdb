// The sync session over a Transport: connect, (re)subscribe every live shape with its cookie, apply
// pokes at pokeEnd, settle mutations by lastMutationIdChanges, and resend after watermarks.
import { CLOSE_CODES, ErrorKind, type PokePart, PROTOCOL_VERSION, type UpMessage } from '@lumenize/protocol'
import type { ClientStore } from '../cache/store'
import { type LumenizeClientError, ServerError } from '../errors'
import type { StatusController } from '../status'
import type { Transport, TransportStatus } from '../transport'
import { parseDown } from './frames'
import type { PendingQueue } from './pending'
import { type Poke, PokeAssembler } from './pokes'

/** What the session needs of a subscribed shape (see ShapeSubscription). */
export interface SessionShape {
  readonly subId: string
  readonly name: string
  readonly params: Record<string, unknown>
  readonly cache: { cookie: number | undefined }
  readonly hydratedFlag: boolean
  subscribedGen: number
  active: boolean
  applyParts(parts: readonly PokePart[]): void
  committed(cookie: number, store: ClientStore | undefined): Promise<void>
  failed(error: LumenizeClientError): void
}

export interface SessionOptions {
  transport: Transport
  pending: PendingQueue
  status: StatusController
  shapes: () => Iterable<SessionShape>
  identity: () => { clientId: string; clientGroupId: string }
  token?: string | (() => string | Promise<string>) | undefined
  store: () => ClientStore | undefined
  reportError: (error: LumenizeClientError) => void
}

export class SyncSession {
  /** Increments on every socket open; frames and subscriptions belong to one generation. */
  private gen = 0
  private connectedGen = -1
  private readonly pokes = new PokeAssembler()
  /** Subscriptions sent on this connection whose first poke has not come yet. */
  private readonly resuming = new Set<string>()
  private readonly unlisten: Array<() => void> = []

  constructor(private readonly o: SessionOptions) {}

  /** True between `connected` and the socket closing. */
  get isConnected(): boolean {
    return this.connectedGen === this.gen
  }

  start(): void {
    const t = this.o.transport
    this.unlisten.push(
      t.onStatus((s, detail) => this.onStatus(s, detail)),
      t.onMessage((m) => this.onMessage(m)),
    )
    t.connect()
  }

  /** Subscribes a hydrated shape on the current connection (once per connection). */
  subscribe(shape: SessionShape): void {
    if (!this.isConnected || !shape.hydratedFlag || shape.subscribedGen === this.gen) return
    shape.subscribedGen = this.gen
    shape.active = false
    this.resuming.add(shape.subId)
    const cookie = shape.cache.cookie
    this.send({
      type: 'subscribe',
      subId: shape.subId,
      shape: shape.name,
      ...(Object.keys(shape.params).length > 0 ? { params: shape.params } : {}),
      ...(cookie === undefined ? {} : { cookie }),
    })
  }

  unsubscribe(shape: SessionShape): void {
    this.resuming.delete(shape.subId)
    if (this.isConnected && shape.subscribedGen === this.gen)
      this.send({ type: 'unsubscribe', subId: shape.subId })
    shape.subscribedGen = -1
    shape.active = false
    this.maybeReleaseAcknowledged()
  }

  send(message: UpMessage): boolean {
    return this.o.transport.send(message)
  }

  close(): void {
    for (const u of this.unlisten.splice(0)) u()
    this.o.transport.close()
    this.dropConnection()
    this.o.status.dispatch('close')
  }

  private onStatus(s: TransportStatus, detail?: { code?: number; reason?: string }): void {
    if (s === 'open') {
      this.gen++
      this.o.status.dispatch('socketOpen')
      void this.sendConnect(this.gen)
    } else if (s === 'closed') {
      this.dropConnection()
      this.o.status.dispatch('socketClosed')
      const code = detail?.code
      if (code === CLOSE_CODES.unauthorized || code === CLOSE_CODES.versionMismatch) {
        const kind = code === CLOSE_CODES.unauthorized ? ErrorKind.unauthorized : ErrorKind.protocolVersion
        this.o.reportError(
          new ServerError(kind, `The server closed the socket (${code}): ${detail?.reason ?? ''}`),
        )
      }
    }
  }

  private async sendConnect(gen: number): Promise<void> {
    const token = typeof this.o.token === 'function' ? await this.o.token() : this.o.token
    if (gen !== this.gen) return
    const { clientId, clientGroupId } = this.o.identity()
    this.send({
      type: 'connect',
      protocolVersion: PROTOCOL_VERSION,
      clientGroupId,
      clientId,
      ...(token === undefined ? {} : { token }),
    })
  }

  private dropConnection(): void {
    this.connectedGen = -1
    this.pokes.reset()
    this.resuming.clear()
    for (const s of this.o.shapes()) s.active = false
    this.o.pending.disconnected()
  }

  private onMessage(frame: unknown): void {
    const msg = parseDown(frame)
    if (!msg) return
    switch (msg.type) {
      case 'connected': {
        this.connectedGen = this.gen
        this.o.status.dispatch('connected')
        // Subscribe before pushing: the server then seeds each shape first and pokes the pushed
        // mutations' effects into it together with their confirmation.
        for (const s of this.o.shapes()) this.subscribe(s)
        this.o.pending.connected(this.gen, msg.watermark)
        this.maybeReleaseAcknowledged()
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
        if (msg.clientId === this.o.identity().clientId) this.o.pending.fail(msg.id, msg.error)
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
  apply(poke: Poke): void {
    const bySub = new Map<string, SessionShape>()
    for (const s of this.o.shapes()) if (s.subscribedGen === this.gen) bySub.set(s.subId, s)
    for (const [subId, parts] of poke.parts) {
      const s = bySub.get(subId)
      if (!s) continue
      s.applyParts(parts)
      s.active = true
      this.resuming.delete(subId)
    }
    const store = this.o.store()
    for (const s of bySub.values()) if (s.active) void s.committed(poke.cookie, store)
    this.o.status.synced()
    // Resolve right after the commits (never by awaiting them): the held commits then apply
    // together with dropping the confirmed optimistic state.
    const lmid = poke.lastMutationIdChanges[this.o.identity().clientId]
    if (lmid !== undefined) this.o.pending.confirmThrough(lmid, this.resuming.size > 0)
    this.maybeReleaseAcknowledged()
  }

  private maybeReleaseAcknowledged(): void {
    if (this.isConnected && this.resuming.size === 0) this.o.pending.releaseAcknowledged()
  }

  private onError(kind: string, message: string, details: Record<string, unknown>): void {
    if (kind === ErrorKind.outOfOrder && typeof details.watermark === 'number') {
      this.o.pending.outOfOrder(details.watermark)
      return
    }
    const error = new ServerError(kind, message, details)
    const subId = typeof details.subId === 'string' ? details.subId : undefined
    const shape = subId === undefined ? undefined : [...this.o.shapes()].find((s) => s.subId === subId)
    if (shape) {
      this.resuming.delete(shape.subId)
      shape.failed(error)
      this.maybeReleaseAcknowledged()
      return
    }
    this.o.reportError(error)
  }
}
