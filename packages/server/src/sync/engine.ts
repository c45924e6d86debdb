// The sync engine of a star: connect, subscribe (seed or resume), push with watermarks, and
// pokes after commits. Commits made before a flush runs coalesce into one poke.
import {
  type Connect,
  type DownMessage,
  type EntitySnapshot,
  ErrorKind,
  MIN_SUPPORTED_PROTOCOL_VERSION,
  type Mutation,
  ORG_NODE_TYPE,
  PROTOCOL_VERSION,
  type Push,
  projectRow,
  type Subscribe,
} from '@lumenize/protocol'
import type { LumenizeConfig } from '../config'
import { LumenizeError } from '../errors'
import { StateAt } from '../storage/state-at'
import type { Store } from '../storage/store'
import type { WriteBatch } from '../storage/write-batch'
import { diffShapes } from './diff'
import { type Chunk, chunk, pack, pokeEnd, pokePart, pokeStart } from './frames'
import { Mutators, serverTx } from './mutators'
import { type Attachment, attachmentOf, Sessions } from './sessions'
import type { ResolvedShape, ShapeRegistry } from './shapes'

const DAY = 86_400_000

export class SyncEngine {
  readonly sessions: Sessions
  private readonly mutators: Mutators
  private pokedSeq: number
  private flushTimer: ReturnType<typeof setTimeout> | undefined
  /** Cache of the `trimmed_through` meta row. */
  private trimmed: number | undefined
  /** When the trim alarm is set for (known to this instance). */
  private alarmAt: number | undefined
  /** Watermarks advanced since the last poke, by client: sent in the next poke's pokeEnd. */
  private readonly lmidChanges = new Map<string, { gid: string; lmid: number }>()

  constructor(
    private readonly ctx: DurableObjectState,
    private readonly store: Store,
    private readonly config: LumenizeConfig,
    private readonly shapes: ShapeRegistry,
  ) {
    this.sessions = new Sessions(ctx, store.sql, shapes)
    this.mutators = new Mutators(config.mutators)
    this.pokedSeq = this.meta('poked_seq') ?? store.seq()
    store.onCommit = () => this.scheduleFlush()
    // A commit whose poke did not go out (the object was reset in between) is poked now.
    if (this.pokedSeq < store.seq()) this.scheduleFlush()
  }

  /** A new socket: give it an id that survives hibernation. */
  accept(ws: WebSocket): void {
    const sid = crypto.randomUUID()
    ws.serializeAttachment({ sid } satisfies Attachment)
    this.sessions.trackSocket(ws, sid)
  }

  close(ws: WebSocket): void {
    const a = attachmentOf(ws)
    if (a) this.sessions.dropSocket(a.sid)
  }

  connect(ws: WebSocket, msg: Connect, star: string): void {
    const a = attachmentOf(ws)
    if (!a) return
    if (a.cid) {
      this.error(ws, ErrorKind.badFrame, 'This socket is already connected; open a new one')
      return
    }
    if (msg.protocolVersion < MIN_SUPPORTED_PROTOCOL_VERSION || msg.protocolVersion > PROTOCOL_VERSION) {
      this.error(
        ws,
        ErrorKind.protocolVersion,
        `Protocol version ${msg.protocolVersion} is not supported: this server speaks ${MIN_SUPPORTED_PROTOCOL_VERSION}..${PROTOCOL_VERSION}`,
        { supported: [MIN_SUPPORTED_PROTOCOL_VERSION, PROTOCOL_VERSION] },
      )
      ws.close(4426, 'protocol version')
      return
    }
    const auth = (this.config.authenticate ?? (() => ({ subject: 'anonymous' })))(msg.token, star)
    if (!auth) {
      this.error(ws, ErrorKind.unauthorized, 'The token was refused')
      ws.close(4401, 'unauthorized')
      return
    }
    const known = this.sessions.watermark(msg.clientId)
    if (known && known.gid !== msg.clientGroupId) {
      this.error(ws, ErrorKind.badFrame, `Client ${msg.clientId} belongs to another client group`)
      return
    }
    ws.serializeAttachment({
      ...a,
      cid: msg.clientId,
      gid: msg.clientGroupId,
      subject: auth.subject,
    } satisfies Attachment)
    // Confirmations of the group's pushes go to this socket from now on.
    this.sessions.trackGroup(a.sid, msg.clientGroupId)
    this.send(ws, {
      type: 'connected',
      protocolVersion: PROTOCOL_VERSION,
      watermark: known?.lmid ?? 0,
      cookie: this.store.seq(),
    })
  }

  subscribe(ws: WebSocket, msg: Subscribe): void {
    const a = this.connected(ws)
    if (!a) return
    let shape: ResolvedShape
    try {
      shape = this.shapes.resolve(msg.shape, msg.params ?? {})
    } catch (err) {
      if (!(err instanceof LumenizeError)) throw err
      this.error(ws, err.kind, err.message, { ...err.details, subId: msg.subId })
      return
    }
    // Deliver pending pokes first, so every subscription of a socket is at the same cookie.
    this.flush()
    const cookie = this.store.seq()
    const resumable = msg.cookie !== undefined && msg.cookie <= cookie && msg.cookie >= this.trimmedThrough()
    if (resumable && msg.cookie !== undefined) {
      const diff = diffShapes([shape], msg.cookie, cookie, new StateAt(this.store.sql), this.store.types).get(
        shape.key,
      )
      this.sendPoke(
        ws,
        `r${cookie}-${msg.subId}`,
        msg.cookie,
        cookie,
        msg.subId,
        chunk(diff?.puts ?? [], diff?.dels),
        false,
      )
    } else {
      this.sendPoke(ws, `s${cookie}-${msg.subId}`, 0, cookie, msg.subId, chunk(this.seedRows(shape)), true)
    }
    this.sessions.subscribe(a.sid, msg.subId, shape)
  }

  unsubscribe(ws: WebSocket, subId: string): void {
    const a = this.connected(ws)
    if (!a) return
    if (!this.sessions.unsubscribe(a.sid, subId)) {
      this.error(ws, ErrorKind.unknownSubscription, `No subscription "${subId}" on this socket`, { subId })
    }
  }

  /** Applies pushed mutations in order, exactly once per (client, id). */
  push(ws: WebSocket, msg: Push): void {
    const a = this.connected(ws)
    if (!a?.gid) return
    const gid = a.gid
    const known = this.sessions.watermark(msg.clientId)
    if (known && known.gid !== gid) {
      this.error(ws, ErrorKind.badFrame, `Client ${msg.clientId} belongs to another client group`)
      return
    }
    // The mutations to apply: those right after the watermark, up to a gap.
    const start = known?.lmid ?? 0
    const todo: Mutation[] = []
    let gap: Mutation | undefined
    for (const m of msg.mutations) {
      const last = todo.at(-1)?.id ?? start
      if (m.id <= last) continue
      if (m.id > last + 1) {
        gap = m
        break
      }
      todo.push(m)
    }
    if (!this.applyTogether(msg.clientId, gid, todo)) {
      for (const m of todo) this.applyOne(ws, msg.clientId, gid, m)
    }
    const last = todo.at(-1)
    if (last) this.lmidChanges.set(msg.clientId, { gid, lmid: last.id })
    // A push of nothing but replays still tells its sender the watermark: a client recovering the
    // mutations of a closed one learns this way which of them were applied already.
    else if (known && msg.mutations.some((m) => m.id <= start))
      this.lmidChanges.set(msg.clientId, { gid, lmid: start })
    if (gap) {
      const watermark = last?.id ?? start
      this.error(
        ws,
        ErrorKind.outOfOrder,
        `Mutation ${gap.id} of ${msg.clientId} skips ${watermark + 1}: resend from there`,
        {
          clientId: msg.clientId,
          watermark,
          id: gap.id,
        },
      )
    }
    // The pusher waits for this poke's confirmation: send it now rather than one timer hop later.
    this.flush()
  }

  /**
   * The fast path: every mutation of a push in one SQLite transaction (per-transaction overhead
   * dominates small writes). False if any of them fails; nothing is then applied, and the caller
   * applies them one by one so that only the failing ones are dropped.
   */
  private applyTogether(clientId: string, gid: string, todo: readonly Mutation[]): boolean {
    if (todo.length < 2) return false
    try {
      const items = todo.map((m) => {
        const run = this.mutators.prepare(m.name, m.args)
        return {
          ctx: { clientId, mutationId: m.id },
          fn: (batch: WriteBatch) => run(serverTx(this.store, batch)),
        }
      })
      this.store.runMany(items, () => this.sessions.setWatermark(clientId, gid, todo.at(-1)!.id))
      return true
    } catch {
      return false
    }
  }

  /** Applies one mutation in its own transaction; a failure consumes its id and is sent back typed. */
  private applyOne(ws: WebSocket, clientId: string, gid: string, m: Mutation): void {
    try {
      const run = this.mutators.prepare(m.name, m.args)
      this.store.runInTransaction(
        { clientId, mutationId: m.id },
        (batch) => run(serverTx(this.store, batch)),
        () => this.sessions.setWatermark(clientId, gid, m.id),
      )
    } catch (err) {
      // The effect rolled back; the id is still consumed so the client can drop it and go on.
      this.ctx.storage.transactionSync(() => this.sessions.setWatermark(clientId, gid, m.id))
      const e =
        err instanceof LumenizeError
          ? { kind: err.kind, message: err.message, details: err.details }
          : { kind: ErrorKind.internal, message: 'The mutator failed on the server' }
      if (!(err instanceof LumenizeError)) console.error(`mutator ${m.name} failed`, err)
      this.send(ws, { type: 'mutationError', clientId, id: m.id, error: e })
    }
  }

  scheduleFlush(): void {
    this.flushTimer ??= setTimeout(() => this.flush(), 0)
  }

  /** Sends every subscriber the diff of the commits since the last poke, as one poke per socket. */
  flush(): void {
    if (this.flushTimer !== undefined) clearTimeout(this.flushTimer)
    this.flushTimer = undefined
    const from = this.pokedSeq
    const to = this.store.seq()
    if (to === from && this.lmidChanges.size === 0) return
    const subscribed = this.sessions.subscribed()
    const diffs = diffShapes(
      [...subscribed.values()].map((e) => e.shape),
      from,
      to,
      new StateAt(this.store.sql),
      this.store.types,
    )
    const parts = new Map<string, Array<{ subId: string; chunks: Chunk[] }>>()
    for (const [key, diff] of diffs) {
      const chunks = chunk(diff.puts, diff.dels)
      for (const [sid, subIds] of subscribed.get(key)?.subs ?? []) {
        const list = parts.get(sid) ?? []
        parts.set(sid, list)
        for (const subId of subIds) list.push({ subId, chunks })
      }
    }
    // Confirmations go to every socket of the pushing client's group, with or without rows.
    const lmidsBySocket = new Map<string, Record<string, number>>()
    for (const [cid, { gid, lmid }] of this.lmidChanges) {
      for (const sid of this.sessions.socketsOfGroup(gid)) {
        const m = lmidsBySocket.get(sid) ?? {}
        m[cid] = lmid
        lmidsBySocket.set(sid, m)
      }
    }
    const pokeId = `p${to}`
    const start = pokeStart(pokeId, from, to)
    const emptyEnd = pokeEnd(pokeId, to, {})
    for (const sid of new Set([...parts.keys(), ...lmidsBySocket.keys()])) {
      const ws = this.sessions.socket(sid)
      if (!ws) continue
      const frames = [start]
      for (const { subId, chunks } of parts.get(sid) ?? [])
        for (const c of chunks) frames.push(pokePart(pokeId, subId, c, false))
      const lmids = lmidsBySocket.get(sid)
      frames.push(lmids ? pokeEnd(pokeId, to, lmids) : emptyEnd)
      this.sendRaw(ws, frames)
    }
    this.lmidChanges.clear()
    this.pokedSeq = to
    this.setMeta('poked_seq', to)
    this.maybeScheduleTrim()
  }

  /** Drops op-log entries beyond retention; older cookies are re-seeded from then on. */
  trimOpLog(keepLast?: number): { trimmedThrough: number } {
    this.flush()
    const seq = this.store.seq()
    const keepCount = keepLast ?? this.config.opLog?.keepCount ?? 100_000
    let cut = seq - keepCount
    if (keepLast === undefined) {
      const keepMs = this.config.opLog?.keepMs ?? 7 * DAY
      const old = this.store.sql
        .exec<{ s: number | null }>('SELECT max(seq) AS s FROM op_log WHERE at < ?', Date.now() - keepMs)
        .one().s
      cut = Math.min(cut, old ?? 0)
    }
    if (cut <= this.trimmedThrough()) return { trimmedThrough: this.trimmedThrough() }
    // Live sockets are current: move their cookies up so a quiet subscription is not re-seeded later.
    for (const [, ws] of this.sessions.openSockets()) {
      if (attachmentOf(ws)?.cid)
        this.sendRaw(ws, [pokeStart(`t${seq}`, seq, seq), pokeEnd(`t${seq}`, seq, {})])
    }
    this.ctx.storage.transactionSync(() => {
      this.store.sql.exec('DELETE FROM op_log WHERE seq <= ?', cut)
      this.setMeta('trimmed_through', cut)
    })
    this.trimmed = cut
    return { trimmedThrough: cut }
  }

  /** Cookies at or above this can resume from the op-log. */
  trimmedThrough(): number {
    // Read once per instance (it is asked after every flush), kept current by trimOpLog.
    this.trimmed ??= this.meta('trimmed_through') ?? 0
    return this.trimmed
  }

  error(ws: WebSocket, kind: ErrorKind, message: string, details?: Record<string, unknown>): void {
    this.send(ws, details ? { type: 'error', kind, message, details } : { type: 'error', kind, message })
  }

  /**
   * Sets the alarm for when trimming will have something to drop: an entry both beyond `keepCount`
   * (with 10% slack, so trims come in chunks) and older than `keepMs`.
   */
  maybeScheduleTrim(): void {
    const keepCount = this.config.opLog?.keepCount ?? 100_000
    const keepMs = this.config.opLog?.keepMs ?? 7 * DAY
    const trimmed = this.trimmedThrough()
    if (this.store.seq() - trimmed <= keepCount * 1.1) return
    const oldest = this.store.sql
      .exec<{ at: number }>('SELECT at FROM op_log WHERE seq > ? ORDER BY seq LIMIT 1', trimmed)
      .toArray()[0]
    if (!oldest) return
    const at = Math.max(Date.now() + 100, oldest.at + keepMs + 1)
    if (this.alarmAt !== undefined && this.alarmAt <= at) return
    this.alarmAt = at
    void this.ctx.storage.setAlarm(at)
  }

  /** The alarm: trim what retention allows, then schedule the next trim if one is due later. */
  onAlarm(): void {
    this.alarmAt = undefined
    this.trimOpLog()
    this.maybeScheduleTrim()
  }

  private *seedRows(shape: ResolvedShape): Generator<EntitySnapshot | string> {
    const { types, where, under, fields } = shape.spec
    // A subtree whose root does not exist (yet) is empty; it fills when the node appears.
    if (under !== undefined && this.store.get(under)?.type !== ORG_NODE_TYPE) return
    const options = {
      ...(types === undefined ? {} : { types }),
      ...(where === undefined ? {} : { where }),
      ...(under === undefined ? {} : { under }),
    }
    if (fields === undefined) yield* this.store.scanJson(options)
    else for (const row of this.store.scan(options)) yield projectRow(shape.spec, row)
  }

  private sendPoke(
    ws: WebSocket,
    pokeId: string,
    base: number,
    cookie: number,
    subId: string,
    chunks: Iterable<Chunk>,
    truncate: boolean,
  ): void {
    const frames = [pokeStart(pokeId, base, cookie)]
    let first = true
    for (const c of chunks) {
      frames.push(pokePart(pokeId, subId, c, truncate && first))
      first = false
    }
    frames.push(pokeEnd(pokeId, cookie, {}))
    this.sendRaw(ws, frames)
  }

  private connected(ws: WebSocket): Attachment | undefined {
    const a = attachmentOf(ws)
    if (a?.cid) return a
    this.error(ws, ErrorKind.notConnected, 'Send connect first')
    return undefined
  }

  private send(ws: WebSocket, msg: DownMessage): void {
    this.sendRaw(ws, [JSON.stringify(msg)])
  }

  private sendRaw(ws: WebSocket, frames: readonly string[]): void {
    try {
      for (const f of pack(frames)) ws.send(f)
    } catch {
      // The socket closed under us; its close handler cleans up.
    }
  }

  private meta(key: string): number | undefined {
    const row = this.store.sql
      .exec<{ value: string }>('SELECT value FROM meta WHERE key = ?', key)
      .toArray()[0]
    return row ? Number(row.value) : undefined
  }

  private setMeta(key: string, value: number): void {
    this.store.sql.exec('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)', key, String(value))
  }
}
