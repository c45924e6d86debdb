// Open sockets and their subscriptions, indexed in memory by shape and by client group. The rows
// live in storage (they must survive hibernation); these indexes are derived and rebuilt on wake.
import type { Subscriptions } from '../storage/sync-state'
import { readAttachment } from './attachment'
import type { ResolvedShape, ShapeRegistry } from './shapes'

export interface ShapeSubscribers {
  shape: ResolvedShape
  /** socket id -> subscription ids on that socket. */
  subs: Map<string, Set<string>>
}

export class Sessions {
  private byShape: Map<string, ShapeSubscribers> | undefined
  private sockets: Map<string, WebSocket> | undefined
  /** Connected sockets by client group (derived from attachments; rebuilt on wake). */
  private groups: Map<string, Set<string>> | undefined

  constructor(
    private readonly ctx: DurableObjectState,
    private readonly rows: Subscriptions,
    private readonly shapes: ShapeRegistry,
  ) {}

  /** Open sockets by id (rebuilt from the runtime after hibernation). */
  socket(sid: string): WebSocket | undefined {
    return this.socketMap().get(sid)
  }

  openSockets(): Array<[string, WebSocket]> {
    return [...this.socketMap()]
  }

  trackSocket(ws: WebSocket, sid: string): void {
    this.socketMap().set(sid, ws)
  }

  /** Records which client group a connected socket belongs to. */
  trackGroup(sid: string, gid: string): void {
    addTo(this.groupMap(), gid, sid)
  }

  /** Ids of the open sockets of a client group. */
  socketsOfGroup(gid: string): ReadonlySet<string> {
    return this.groupMap().get(gid) ?? new Set()
  }

  /** Every distinct (shape, params) with a subscriber, resolved once. */
  subscribed(): Map<string, ShapeSubscribers> {
    this.byShape ??= this.load()
    return this.byShape
  }

  subscribe(sid: string, subId: string, shape: ResolvedShape): void {
    this.unsubscribe(sid, subId)
    this.rows.add({ socketId: sid, subId, shape: shape.name, params: shape.params, shapeKey: shape.key })
    this.index(sid, subId, shape.key, () => shape)
  }

  /** Removes a subscription; false if the socket had none by that id. */
  unsubscribe(sid: string, subId: string): boolean {
    const key = this.rows.remove(sid, subId)
    if (key === undefined) return false
    const index = this.subscribed()
    const entry = index.get(key)
    const set = entry?.subs.get(sid)
    set?.delete(subId)
    if (set?.size === 0) entry?.subs.delete(sid)
    if (entry?.subs.size === 0) index.delete(key)
    return true
  }

  dropSocket(sid: string): void {
    for (const subId of this.rows.ofSocket(sid)) this.unsubscribe(sid, subId)
    this.socketMap().delete(sid)
    for (const [gid, set] of this.groupMap()) {
      if (set.delete(sid) && set.size === 0) this.groups?.delete(gid)
    }
  }

  private index(sid: string, subId: string, key: string, shape: () => ResolvedShape): void {
    const index = this.subscribed()
    let entry = index.get(key)
    if (!entry) {
      entry = { shape: shape(), subs: new Map() }
      index.set(key, entry)
    }
    addTo(entry.subs, sid, subId)
  }

  private groupMap(): Map<string, Set<string>> {
    if (!this.groups) {
      this.groups = new Map()
      for (const [sid, ws] of this.socketMap()) {
        const gid = readAttachment(ws)?.gid
        if (gid !== undefined) addTo(this.groups, gid, sid)
      }
    }
    return this.groups
  }

  private socketMap(): Map<string, WebSocket> {
    if (!this.sockets) {
      this.sockets = new Map()
      for (const ws of this.ctx.getWebSockets()) {
        const a = readAttachment(ws)
        if (a) this.sockets.set(a.sid, ws)
      }
    }
    return this.sockets
  }

  /** Rebuilds the index from storage, forgetting subscriptions of sockets that are gone. */
  private load(): Map<string, ShapeSubscribers> {
    const open = this.socketMap()
    this.byShape = new Map()
    for (const r of this.rows.all()) {
      if (!open.has(r.socketId)) {
        this.rows.removeSocket(r.socketId)
        continue
      }
      try {
        this.index(r.socketId, r.subId, r.shapeKey, () => this.shapes.resolve(r.shape, r.params))
      } catch {
        // The shape no longer resolves (config changed): drop the subscription.
        this.rows.remove(r.socketId, r.subId)
      }
    }
    return this.byShape
  }
}

function addTo<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  let set = map.get(key)
  if (!set) {
    set = new Set()
    map.set(key, set)
  }
  set.add(value)
}
