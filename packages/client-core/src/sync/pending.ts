// The pending mutation queue: this client's gapless ids, plus the queues it adopted from closed
// clients of its group (mutation recovery). Each mutation is persisted BEFORE it is sent, sent in
// order once per connection, and settled only by the server: confirmed (lastMutationIdChanges or
// a watermark) or rejected (mutationError). Nothing times out: offline writes wait for the server.
import { ErrorKind, MAX_CLIENT_FRAME_BYTES, type Mutation } from '@lumenize/protocol'
import type { PendingRecord } from '../cache/db'
import type { ClientStore } from '../cache/store'
import { ClientClosedError, type LumenizeClientError, MutationRejectedError } from '../errors'
import { deferred, type PendingEntry } from './pending-entry'
import { PendingStore } from './pending-store'

export type { PendingEntry } from './pending-entry'

/** Mutations per push frame (the server takes 1–1000) and the JSON budget of one frame, in bytes. */
export const MAX_PUSH_MUTATIONS = 1000
export const PUSH_FRAME_BUDGET = MAX_CLIENT_FRAME_BYTES - 16 * 1024

const utf8 = new TextEncoder()
const bytesOf = (value: unknown): number => utf8.encode(JSON.stringify(value)).length

export interface PendingQueueOptions {
  /** This client's id: its own mutations are pushed under it. */
  clientId: string
  /** Sends one push frame of one client's mutations; false when it could not be sent now. */
  send: (clientId: string, mutations: Mutation[]) => boolean
  /** The queue changed: how many are pending and when the oldest was made. */
  onCount: (pending: number, oldestAt: number | null) => void
  onError: (error: LumenizeClientError) => void
  /**
   * Send before the store has it (a tab behind a hub: the hub holds it from then on, and the tab's own
   * record lands a moment later). Without it, nothing is sent before it is stored.
   */
  sendBeforeStored?: boolean
  /** Every mutation of an adopted client is settled (its records are gone). */
  onDrained?: (clientId: string) => void
}

export class PendingQueue {
  /** Queues by client, each in id order; this client's first. */
  private readonly queues = new Map<string, PendingEntry[]>()
  private lastId = 0
  private readonly stored: PendingStore
  private seqCounter = 0
  private gen = -1
  private online = false
  /** Acknowledged while the shapes were resuming: resolved once they hold the effect. */
  private acked: PendingEntry[] = []
  private closed = false
  /** The highest id seen per client (queued, received or confirmed): a mutation sent twice is queued once. */
  private readonly seen = new Map<string, number>()
  /** The highest id per client the server is known to have applied. */
  private readonly applied = new Map<string, number>()

  constructor(private readonly options: PendingQueueOptions) {
    this.stored = new PendingStore((entries) => {
      for (const e of entries) e.persisted = true
      this.flush()
    }, options.onError)
    this.queues.set(options.clientId, [])
  }

  /** The store is open: mutations made before it are persisted now, in order. */
  start(store: ClientStore): void {
    this.stored.open(store)
    for (const e of this.own()) void this.stored.add(e)
  }

  /** Pending mutations, this client's and adopted ones. */
  get size(): number {
    let n = 0
    for (const q of this.queues.values()) n += q.length
    return n
  }

  /** How many own mutations were made in this session so far. */
  get seq(): number {
    return this.seqCounter
  }

  /** Every queued mutation, adopted ones first (they are older), each client's in id order. */
  entries(): PendingEntry[] {
    return this.clientsInOrder().flatMap((cid) => this.queues.get(cid) ?? [])
  }

  /** The highest id of `clientId` the server is known to have applied (0: none known). */
  appliedThrough(clientId: string): number {
    return this.applied.get(clientId) ?? 0
  }

  /** The clients whose queues this one holds (its own and the adopted). */
  clients(): string[] {
    return [...this.queues.keys()]
  }

  /**
   * Queues a mutation of this client: it gets the next id at once, is persisted, then sent when
   * online. Returns its session sequence number and its settlement.
   */
  enqueue(name: string, args: unknown): { entry: PendingEntry | undefined; done: Promise<void> } {
    if (this.closed) return { entry: undefined, done: Promise.reject(new ClientClosedError()) }
    const size = bytesOf({ id: 0, name, args }) + 1
    if (size > PUSH_FRAME_BUDGET) {
      const error = new MutationRejectedError(
        ErrorKind.payloadTooLarge,
        `Mutation ${name} is ${size} bytes of JSON; one push frame holds at most ${PUSH_FRAME_BUDGET}`,
        { size, limit: PUSH_FRAME_BUDGET },
        0,
        name,
      )
      return { entry: undefined, done: Promise.reject(error) }
    }
    const cid = this.options.clientId
    const e = this.entry({ clientId: cid, id: ++this.lastId, name, args, createdAt: Date.now() }, true)
    this.own().push(e)
    this.count()
    if (this.stored.isOpen) void this.stored.add(e)
    if (this.options.sendBeforeStored) this.flush()
    return { entry: e, done: e.done.promise }
  }

  /**
   * Takes over the queue of a closed client of the group (mutation recovery). Returns the entries,
   * to be shown optimistically; they are pushed under their own clientId, before this client's.
   */
  adopt(clientId: string, records: readonly PendingRecord[]): PendingEntry[] {
    if (this.closed || this.queues.has(clientId)) return []
    const entries = [...records]
      .sort((a, b) => a.id - b.id)
      .map((r) => {
        const e = this.entry(r, false)
        e.persisted = true
        return e
      })
    this.queues.set(clientId, entries)
    this.count()
    if (entries.length === 0) this.drained(clientId)
    else this.flush()
    return entries
  }

  /**
   * Mutations another client hands over to be pushed (a tab to its hub): each one not seen before is
   * queued and sent; it is stored too unless `stored` says it already is. Returns the new ones at once
   * (to show to siblings) and when they are stored.
   */
  receive(
    clientId: string,
    mutations: ReadonlyArray<{ id: number; name: string; args: unknown; createdAt?: number }>,
    stored = false,
  ): { fresh: PendingEntry[]; stored: Promise<void> } {
    if (this.closed || clientId === this.options.clientId) return { fresh: [], stored: Promise.resolve() }
    const fresh = mutations
      .filter((m) => m.id > (this.seen.get(clientId) ?? 0))
      .sort((a, b) => a.id - b.id)
      .map((m) =>
        this.entry(
          { clientId, id: m.id, name: m.name, args: m.args, createdAt: m.createdAt ?? Date.now() },
          false,
        ),
      )
    if (fresh.length === 0) return { fresh, stored: Promise.resolve() }
    const q = this.queues.get(clientId) ?? []
    this.queues.set(clientId, q)
    q.push(...fresh)
    this.count()
    // Sent at once: the giver keeps its copy until the server confirms, so nothing waits on this store.
    for (const e of fresh) e.persisted = true
    this.flush()
    return {
      fresh,
      stored: stored
        ? Promise.resolve()
        : Promise.all(fresh.map((e) => this.stored.add(e))).then(() => undefined),
    }
  }

  /**
   * A sibling's queued mutations, shown here and settled by the same confirmations, but pushed by
   * someone else (the hub): never sent from this queue.
   */
  observe(
    clientId: string,
    mutations: ReadonlyArray<{ id: number; name: string; args: unknown; createdAt: number }>,
  ): PendingEntry[] {
    if (this.closed || clientId === this.options.clientId) return []
    const fresh = mutations
      .filter((m) => m.id > (this.seen.get(clientId) ?? 0))
      .sort((a, b) => a.id - b.id)
      .map((m) => {
        const e = this.entry({ clientId, ...m }, false, false)
        e.persisted = true
        return e
      })
    if (fresh.length === 0) return []
    const q = this.queues.get(clientId) ?? []
    this.queues.set(clientId, q)
    q.push(...fresh)
    this.count()
    return fresh
  }

  /**
   * A new hub: the siblings' mutations shown so far are let go (their rows come back with the new
   * hub's seeds, and what is still queued with its `observe`s).
   */
  forgetObserved(): void {
    for (const [cid, q] of this.queues) {
      if (cid === this.options.clientId || q.some((e) => e.sendable)) continue
      this.queues.delete(cid)
      this.seen.delete(cid)
      this.applied.delete(cid)
      for (const e of q) e.done.resolve()
    }
    this.count()
  }

  /** Connected (generation `gen`); the server has applied this client's mutations up to `watermark`. */
  connected(gen: number, watermark: number): void {
    this.gen = gen
    this.online = true
    this.acked.push(...this.take(this.options.clientId, watermark))
    for (const q of this.queues.values()) for (const e of q) e.sentGen = -1
    this.flush()
  }

  disconnected(): void {
    this.online = false
  }

  /** The server refused a push with a gap: up to `watermark` is applied; resend from the next. */
  outOfOrder(clientId: string, watermark: number): void {
    if (!this.queues.has(clientId)) return
    this.acked.push(...this.take(clientId, watermark))
    for (const e of this.queues.get(clientId) ?? []) e.sentGen = -1
    this.flush()
  }

  /** Settles what was acknowledged while shapes were resuming, now that they hold its effect. */
  releaseAcknowledged(): void {
    const acked = this.acked
    this.acked = []
    for (const e of acked) e.done.resolve()
  }

  /**
   * The server applied these clients' mutations up to the given ids, and the poke holding them was
   * committed. With `defer` (a subscription has not had its first poke on this connection, so it may
   * not hold their effect) they settle with `releaseAcknowledged`, so no optimistic row blinks out.
   */
  confirm(changes: Readonly<Record<string, number>>, defer = false): void {
    for (const [cid, lmid] of Object.entries(changes)) {
      if (lmid > (this.applied.get(cid) ?? 0)) this.applied.set(cid, lmid)
      if (lmid > (this.seen.get(cid) ?? 0)) this.seen.set(cid, lmid)
      if (!this.queues.has(cid)) continue
      const confirmed = this.take(cid, lmid)
      if (defer) this.acked.push(...confirmed)
      else for (const e of confirmed) e.done.resolve()
    }
  }

  /** The server refused mutation `id` of `clientId`: its effect is gone, its id consumed. */
  fail(
    clientId: string,
    id: number,
    error: { kind: string; message: string; details?: Record<string, unknown> },
  ): void {
    const q = this.queues.get(clientId)
    const i = q?.findIndex((e) => e.id === id) ?? -1
    const e = q?.[i]
    if (!q || !e) return
    q.splice(i, 1)
    this.stored.delete(clientId, [id])
    this.count()
    const err = new MutationRejectedError(error.kind, error.message, error.details ?? {}, id, e.name)
    // An adopted mutation has no caller left to tell.
    if (!e.own) this.options.onError(err)
    e.done.reject(err)
    this.maybeDrained(clientId)
  }

  /** Sends, client by client and in id order, every persisted mutation not yet sent on this connection. */
  flush(): void {
    if (!this.online || this.closed) return
    for (const cid of this.clientsInOrder()) this.flushClient(cid)
  }

  /** Waits for queued store writes to finish. */
  idle(): Promise<void> {
    return this.stored.idle()
  }

  /** Stops: own and adopted mutations stay persisted, for the next client of the group to push. */
  close(): void {
    this.closed = true
    this.online = false
    for (const q of this.queues.values()) for (const e of q) e.done.reject(new ClientClosedError())
    for (const e of this.acked) e.done.reject(new ClientClosedError())
  }

  private flushClient(cid: string): void {
    let batch: PendingEntry[] = []
    let bytes = 0
    const sendBatch = (): boolean => {
      if (batch.length === 0) return true
      const ok = this.options.send(
        cid,
        batch.map((e) => ({ id: e.id, name: e.name, args: e.args })),
      )
      if (ok) for (const e of batch) e.sentGen = this.gen
      batch = []
      bytes = 0
      return ok
    }
    for (const e of this.queues.get(cid) ?? []) {
      if (!e.sendable) continue
      // Ids go out in order: nothing after a mutation that is not stored yet.
      if (!e.persisted && !this.options.sendBeforeStored) break
      if (e.sentGen === this.gen) continue
      if (batch.length >= MAX_PUSH_MUTATIONS || bytes + e.size > PUSH_FRAME_BUDGET) {
        if (!sendBatch()) return
      }
      batch.push(e)
      bytes += e.size
    }
    sendBatch()
  }

  /** Adopted clients, oldest first (their mutations were made before this client's), then this one. */
  private clientsInOrder(): string[] {
    const own = this.options.clientId
    const adopted = [...this.queues.keys()].filter((cid) => cid !== own)
    const first = (cid: string): number => this.queues.get(cid)?.[0]?.createdAt ?? Infinity
    return [...adopted.sort((a, b) => first(a) - first(b)), own]
  }

  private own(): PendingEntry[] {
    return this.queues.get(this.options.clientId) ?? []
  }

  /** Removes the entries of `clientId` with id ≤ upTo from the queue and the store. */
  private take(clientId: string, upTo: number): PendingEntry[] {
    const q = this.queues.get(clientId)
    if (!q) return []
    let n = 0
    while (n < q.length && (q[n]?.id ?? Infinity) <= upTo) n++
    if (clientId === this.options.clientId && upTo > this.lastId) this.lastId = upTo
    if (upTo > (this.seen.get(clientId) ?? 0)) this.seen.set(clientId, upTo)
    if (upTo > (this.applied.get(clientId) ?? 0)) this.applied.set(clientId, upTo)
    if (n === 0) return []
    const taken = q.splice(0, n)
    this.stored.delete(
      clientId,
      taken.map((e) => e.id),
    )
    this.count()
    this.maybeDrained(clientId)
    return taken
  }

  private maybeDrained(clientId: string): void {
    if (clientId === this.options.clientId || (this.queues.get(clientId)?.length ?? 0) > 0) return
    this.stored.after(() => this.drained(clientId))
  }

  private drained(clientId: string): void {
    if (clientId === this.options.clientId || (this.queues.get(clientId)?.length ?? 1) > 0) return
    this.queues.delete(clientId)
    this.options.onDrained?.(clientId)
  }

  private entry(r: PendingRecord, own: boolean, sendable = true): PendingEntry {
    if (r.id > (this.seen.get(r.clientId) ?? 0)) this.seen.set(r.clientId, r.id)
    return {
      clientId: r.clientId,
      id: r.id,
      name: r.name,
      args: r.args,
      createdAt: r.createdAt,
      seq: own ? ++this.seqCounter : 0,
      own,
      sendable,
      persisted: false,
      sentGen: -1,
      done: deferred(),
      size: bytesOf({ id: r.id, name: r.name, args: r.args }) + 1,
    }
  }

  private count(): void {
    let oldest: number | null = null
    for (const q of this.queues.values()) {
      const first = q[0]?.createdAt
      if (first !== undefined && (oldest === null || first < oldest)) oldest = first
    }
    this.options.onCount(this.size, oldest)
  }
}
