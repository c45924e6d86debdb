// Sockets, subscriptions and watermarks. Authoritative state lives in SQLite (it must survive
// hibernation); the in-memory index by shape is derived from it and rebuilt on wake.
import type { ResolvedShape, ShapeRegistry } from './shapes'

/** What a socket carries across hibernation: a small id and who connected (≤ 16 KiB). */
export interface Attachment {
  /** Socket id, the key of its subscriptions. */
  sid: string
  /** Set by `connect`. */
  cid?: string
  gid?: string
  subject?: string
}

export interface ShapeSubscribers {
  shape: ResolvedShape
  /** socket id -> subscription ids on that socket. */
  subs: Map<string, Set<string>>
}

export function attachmentOf(ws: WebSocket): Attachment | undefined {
  return (ws.deserializeAttachment() as Attachment | null) ?? undefined
}

export class Sessions {
  private byShape: Map<string, ShapeSubscribers> | undefined
  private sockets: Map<string, WebSocket> | undefined
  /** Connected sockets by client group (derived from attachments; rebuilt on wake). */
  private groups: Map<string, Set<string>> | undefined

  constructor(
    private readonly ctx: DurableObjectState,
    private readonly sql: SqlStorage,
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
    const groups = this.groupMap()
    const set = groups.get(gid) ?? new Set()
    groups.set(gid, set)
    set.add(sid)
  }

  /** Ids of the open sockets of a client group. */
  socketsOfGroup(gid: string): ReadonlySet<string> {
    return this.groupMap().get(gid) ?? new Set()
  }

  /** Every distinct (shape, params) with a subscriber, resolved once. */
  subscribed(): Map<string, ShapeSubscribers> {
    if (!this.byShape) this.byShape = this.load()
    return this.byShape
  }

  subscribe(sid: string, subId: string, shape: ResolvedShape): void {
    this.unsubscribe(sid, subId)
    this.sql.exec(
      'INSERT INTO subscriptions (socket_id, sub_id, shape, params, shape_key) VALUES (?, ?, ?, ?, ?)',
      sid,
      subId,
      shape.name,
      JSON.stringify(shape.params),
      shape.key,
    )
    const index = this.subscribed()
    let entry = index.get(shape.key)
    if (!entry) {
      entry = { shape, subs: new Map() }
      index.set(shape.key, entry)
    }
    let set = entry.subs.get(sid)
    if (!set) {
      set = new Set()
      entry.subs.set(sid, set)
    }
    set.add(subId)
  }

  /** Removes a subscription; false if the socket had none by that id. */
  unsubscribe(sid: string, subId: string): boolean {
    const row = this.sql
      .exec<{ shape_key: string }>(
        'DELETE FROM subscriptions WHERE socket_id = ? AND sub_id = ? RETURNING shape_key',
        sid,
        subId,
      )
      .toArray()[0]
    if (!row) return false
    const entry = this.subscribed().get(row.shape_key)
    const set = entry?.subs.get(sid)
    set?.delete(subId)
    if (set?.size === 0) entry?.subs.delete(sid)
    if (entry?.subs.size === 0) this.subscribed().delete(row.shape_key)
    return true
  }

  dropSocket(sid: string): void {
    for (const { sub_id } of this.sql
      .exec<{ sub_id: string }>('SELECT sub_id FROM subscriptions WHERE socket_id = ?', sid)
      .toArray()) {
      this.unsubscribe(sid, sub_id)
    }
    this.socketMap().delete(sid)
    for (const [gid, set] of this.groupMap()) {
      if (set.delete(sid) && set.size === 0) this.groups?.delete(gid)
    }
  }

  watermark(clientId: string): { gid: string; lmid: number } | undefined {
    const row = this.sql
      .exec<{ client_group_id: string; last_mutation_id: number }>(
        'SELECT client_group_id, last_mutation_id FROM clients WHERE client_id = ?',
        clientId,
      )
      .toArray()[0]
    return row ? { gid: row.client_group_id, lmid: row.last_mutation_id } : undefined
  }

  setWatermark(clientId: string, gid: string, lmid: number): void {
    this.sql.exec(
      `INSERT INTO clients (client_id, client_group_id, last_mutation_id, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (client_id) DO UPDATE SET last_mutation_id = excluded.last_mutation_id, updated_at = excluded.updated_at`,
      clientId,
      gid,
      lmid,
      Date.now(),
    )
  }

  private groupMap(): Map<string, Set<string>> {
    if (!this.groups) {
      this.groups = new Map()
      for (const [sid, ws] of this.socketMap()) {
        const gid = attachmentOf(ws)?.gid
        if (gid === undefined) continue
        const set = this.groups.get(gid) ?? new Set()
        this.groups.set(gid, set)
        set.add(sid)
      }
    }
    return this.groups
  }

  private socketMap(): Map<string, WebSocket> {
    if (!this.sockets) {
      this.sockets = new Map()
      for (const ws of this.ctx.getWebSockets()) {
        const a = attachmentOf(ws)
        if (a) this.sockets.set(a.sid, ws)
      }
    }
    return this.sockets
  }

  /** Rebuilds the index from SQLite, forgetting subscriptions of sockets that are gone. */
  private load(): Map<string, ShapeSubscribers> {
    const open = this.socketMap()
    const index = new Map<string, ShapeSubscribers>()
    const rows = this.sql
      .exec<{ socket_id: string; sub_id: string; shape: string; params: string; shape_key: string }>(
        'SELECT socket_id, sub_id, shape, params, shape_key FROM subscriptions',
      )
      .toArray()
    for (const r of rows) {
      if (!open.has(r.socket_id)) {
        this.sql.exec('DELETE FROM subscriptions WHERE socket_id = ?', r.socket_id)
        continue
      }
      let entry = index.get(r.shape_key)
      if (!entry) {
        try {
          entry = {
            shape: this.shapes.resolve(r.shape, JSON.parse(r.params) as Record<string, unknown>),
            subs: new Map(),
          }
        } catch {
          // The shape no longer resolves (config changed): drop the subscription.
          this.sql.exec('DELETE FROM subscriptions WHERE socket_id = ? AND sub_id = ?', r.socket_id, r.sub_id)
          continue
        }
        index.set(r.shape_key, entry)
      }
      let set = entry.subs.get(r.socket_id)
      if (!set) {
        set = new Set()
        entry.subs.set(r.socket_id, set)
      }
      set.add(r.sub_id)
    }
    return index
  }
}
