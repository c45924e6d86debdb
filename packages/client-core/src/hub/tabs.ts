// One tab as its hub sees it: the tab's messages (the sync protocol's, plus hello, token answers
// and bye) read and handed to the hub, and the hub's messages sent back, a poke at a time with the
// parts of this tab's subscriptions under this tab's subscription ids.
import {
  type DownMessage,
  ErrorKind,
  PORT_PROTOCOL_VERSION,
  type PortControl,
  type PortUpMessage,
  PortUpMessageSchema,
  PROTOCOL_VERSION,
} from '@lumenize/protocol'
import * as v from 'valibot'
import type { Poke } from '../sync/pokes'
import type { HubShape, ShapeTab } from './hub-shape'
import { messagesOf, type PortLike } from './port'

/** What a tab link needs of its hub (see Hub). */
export interface TabHost {
  readonly buildId: string
  readonly isDraining: boolean
  welcome(tab: TabLink): Promise<void>
  appliedThrough(clientId: string): number
  subscribe(
    tab: TabLink,
    subId: string,
    name: string,
    params: Record<string, unknown>,
    cookie: number | undefined,
  ): HubShape
  unsubscribe(tab: TabLink, shape: HubShape, subId?: string): void
  push(tab: TabLink, mutations: ReadonlyArray<{ id: number; name: string; args: unknown }>): Promise<void>
  answerToken(requestId: string, token: string | undefined, error: string | undefined): void
  /** A tab's browser went online or offline. */
  network(online: boolean): void
  drop(tab: TabLink): void
}

export class TabLink implements ShapeTab {
  /** Set by the tab's hello. */
  clientId = ''
  private readonly subs = new Map<string, HubShape>()
  private readonly unlisten: () => void

  constructor(
    private readonly port: PortLike,
    private readonly hub: TabHost,
  ) {
    this.unlisten = port.listen((m) => {
      for (const message of messagesOf(m)) this.onMessage(message)
    })
  }

  /** The tab's subscriptions: its subId and the hub's shape. */
  subscriptions(): Array<[string, HubShape]> {
    return [...this.subs]
  }

  send(messages: ReadonlyArray<DownMessage | PortControl>): void {
    try {
      this.port.postMessage(messages.length === 1 ? messages[0] : [...messages])
    } catch {
      // A port whose tab is gone: the tab's lock tells the hub soon.
    }
  }

  /** A poke from the server, cut to this tab's subscriptions (every tab gets the confirmations). */
  poke(poke: Poke): void {
    const parts: DownMessage[] = []
    for (const [subId, shape] of this.subs) {
      for (const part of poke.parts.get(shape.subId) ?? []) parts.push({ ...part, subId })
    }
    if (parts.length === 0 && Object.keys(poke.lastMutationIdChanges).length === 0 && this.subs.size === 0)
      return
    this.send([
      { type: 'pokeStart', pokeId: poke.pokeId, baseCookie: poke.baseCookie, cookie: poke.cookie },
      ...parts,
      {
        type: 'pokeEnd',
        pokeId: poke.pokeId,
        cookie: poke.cookie,
        lastMutationIdChanges: poke.lastMutationIdChanges,
      },
    ])
  }

  close(): void {
    this.unlisten()
    this.subs.clear()
    this.port.close()
  }

  private error(kind: ErrorKind, message: string, details?: Record<string, unknown>): void {
    this.send([{ type: 'error', kind, message, ...(details ? { details } : {}) }])
  }

  private onMessage(raw: unknown): void {
    const parsed = v.safeParse(PortUpMessageSchema, raw)
    if (!parsed.success) {
      this.error(ErrorKind.badFrame, 'Not a message of the port protocol')
      return
    }
    const msg: PortUpMessage = parsed.output
    if (msg.type !== 'hello' && this.clientId === '') {
      this.error(ErrorKind.notConnected, 'Say hello first')
      return
    }
    switch (msg.type) {
      case 'hello':
        if (
          msg.portVersion !== PORT_PROTOCOL_VERSION ||
          msg.buildId !== this.hub.buildId ||
          this.hub.isDraining
        ) {
          // Another build (or a hub on its way out): the tab reloads into the hub of its own build.
          this.send([{ type: 'reload', buildId: this.hub.buildId }])
          return
        }
        this.clientId = msg.clientId
        void this.hub.welcome(this)
        return
      case 'token':
        this.hub.answerToken(msg.requestId, msg.token, msg.error)
        return
      case 'bye':
        this.hub.drop(this)
        return
      case 'network':
        this.hub.network(msg.online)
        return
      case 'connect':
        this.send([
          {
            type: 'connected',
            protocolVersion: PROTOCOL_VERSION,
            watermark: this.hub.appliedThrough(this.clientId),
            cookie: 0,
          },
        ])
        return
      case 'subscribe': {
        const old = this.subs.get(msg.subId)
        if (old) this.hub.unsubscribe(this, old, msg.subId)
        this.subs.set(msg.subId, this.hub.subscribe(this, msg.subId, msg.shape, msg.params ?? {}, msg.cookie))
        return
      }
      case 'unsubscribe': {
        const shape = this.subs.get(msg.subId)
        if (!shape) return
        this.subs.delete(msg.subId)
        this.hub.unsubscribe(this, shape, msg.subId)
        return
      }
      case 'push':
        if (msg.clientId !== this.clientId) {
          this.error(
            ErrorKind.badFrame,
            `This port is client ${this.clientId}; it cannot push for ${msg.clientId}`,
          )
          return
        }
        void this.hub.push(this, msg.mutations)
        return
      case 'ping':
        this.send([{ type: 'pong' }])
        return
      default:
        msg satisfies never
    }
  }
}
