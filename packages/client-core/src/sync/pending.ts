// The pending mutation queue: per-client gapless ids, persisted BEFORE sending, sent in order once
// per connection, settled by the server's confirmation (lastMutationIdChanges), rejection or timeout.
import { type ErrorKind, MAX_CLIENT_FRAME_BYTES, type Mutation } from '@lumenize/protocol'
import type { ClientStore } from '../cache/store'
import {
  ClientClosedError,
  type LumenizeClientError,
  MutationRejectedError,
  MutationTimeoutError,
} from '../errors'

/** Mutations per push frame (the server takes 1–1000) and the JSON budget of one frame. */
export const MAX_PUSH_MUTATIONS = 1000
export const PUSH_FRAME_BUDGET = MAX_CLIENT_FRAME_BYTES - 16 * 1024

interface Deferred {
  promise: Promise<void>
  resolve: () => void
  reject: (e: Error) => void
  settled: boolean
}

function deferred(): Deferred {
  let resolve!: () => void
  let reject!: (e: Error) => void
  const d: Deferred = {
    promise: new Promise<void>((res, rej) => {
      resolve = res
      reject = rej
    }),
    resolve: () => {
      if (d.settled) return
      d.settled = true
      resolve()
    },
    reject: (e) => {
      if (d.settled) return
      d.settled = true
      reject(e)
    },
    settled: false,
  }
  // Callers that care attach their own handlers; nobody else should see an unhandled rejection.
  d.promise.catch(() => undefined)
  return d
}

/** One queued mutation. */
export interface PendingEntry {
  readonly id: number
  readonly name: string
  readonly args: unknown
  /** Order among this session's mutations (0 for those loaded from the store). */
  readonly seq: number
  /** Loaded from the store at startup (no caller awaits it: its errors go to onError). */
  readonly replayed: boolean
  persisted: boolean
  /** The connection generation it was last sent on (-1: not sent since the last (re)connect). */
  sentGen: number
  timedOut: boolean
  timer: ReturnType<typeof setTimeout> | undefined
  readonly done: Deferred
  readonly size: number
}

export interface PendingQueueOptions {
  send: (mutations: Mutation[]) => boolean
  /** How long a mutation sent while online may wait for its confirmation. */
  timeoutMs: number
  onCount: (pending: number) => void
  onError: (error: LumenizeClientError) => void
}

export class PendingQueue {
  private readonly list: PendingEntry[] = []
  private lastId = 0
  private store: ClientStore | undefined
  /** Mutations made before `start`, admitted by it in order. */
  private readonly waiting: Array<() => void> = []
  private seqCounter = 0
  private chain: Promise<void> = Promise.resolve()
  private gen = -1
  private online = false
  /** Acknowledged by a watermark: resolved once the resumed shapes hold their effect. */
  private acked: PendingEntry[] = []
  private closed = false

  constructor(private readonly options: PendingQueueOptions) {}

  /** Begins with what the store kept: queued mutations (in id order) and the last id handed out. */
  start(
    store: ClientStore,
    records: ReadonlyArray<{ id: number; name: string; args: unknown }>,
    lastId = 0,
  ): void {
    this.store = store
    for (const r of [...records].sort((a, b) => a.id - b.id)) {
      const e = this.entry(r.id, r.name, r.args, 0, true, deferred())
      e.persisted = true
      this.list.push(e)
    }
    this.lastId = Math.max(lastId, this.list.at(-1)?.id ?? 0)
    // Mutations made before the store opened get their ids now, in the order they were made.
    for (const admit of this.waiting.splice(0)) admit()
    this.count()
  }

  get size(): number {
    return this.list.length + this.waiting.length
  }

  /** How many mutations were made in this session so far (replayed ones count as 0). */
  get seq(): number {
    return this.seqCounter
  }

  /** Queued mutations, oldest first. */
  entries(): readonly PendingEntry[] {
    return this.list
  }

  /** Settles when the mutation is confirmed; rejects with the server's error, a timeout or a close. */
  settled(id: number): Promise<void> {
    return this.list.find((e) => e.id === id)?.done.promise ?? Promise.resolve()
  }

  /**
   * Queues a mutation: the next id is assigned in call order (once the store is open), the mutation
   * is persisted, then sent if online. Returns its session sequence number and its settlement.
   */
  enqueue(name: string, args: unknown): { seq: number; done: Promise<void> } {
    const done = deferred()
    const seq = ++this.seqCounter
    const size = JSON.stringify({ id: 0, name, args }).length
    if (size > PUSH_FRAME_BUDGET) {
      done.reject(
        new MutationRejectedError(
          'PAYLOAD_TOO_LARGE' as ErrorKind,
          `Mutation ${name} is ${size} bytes of JSON; one frame holds at most ${PUSH_FRAME_BUDGET}`,
          { size, limit: PUSH_FRAME_BUDGET },
          0,
          name,
        ),
      )
      return { seq, done: done.promise }
    }
    const admit = (): void => {
      if (this.closed) {
        done.reject(new ClientClosedError())
        return
      }
      const e = this.entry(++this.lastId, name, args, seq, false, done)
      this.list.push(e)
      this.count()
      const store = this.store
      this.chain = this.chain
        .then(() => store?.addPending({ id: e.id, name, args }, e.id))
        .catch((err: unknown) => this.options.onError(err as LumenizeClientError))
        .then(() => {
          // Even when the store failed, the mutation is still sent: losing it would be worse.
          e.persisted = true
          this.flush()
        })
    }
    if (this.store) admit()
    else {
      this.waiting.push(admit)
      this.count()
    }
    return { seq, done: done.promise }
  }

  /** The socket is connected (generation `gen`) and the server has applied everything up to `watermark`. */
  connected(gen: number, watermark: number): void {
    this.gen = gen
    this.online = true
    if (watermark > this.lastId) this.lastId = watermark
    this.acknowledge(watermark)
    for (const e of this.list) e.sentGen = -1
    this.flush()
  }

  /** The server refused a push with a gap: everything ≤ watermark is applied; resend from the next. */
  outOfOrder(watermark: number): void {
    this.acknowledge(watermark)
    for (const e of this.list) {
      clearTimeout(e.timer)
      e.sentGen = -1
    }
    this.flush()
  }

  disconnected(): void {
    this.online = false
    for (const e of this.list) {
      clearTimeout(e.timer)
      e.timer = undefined
    }
  }

  /** Settles what a watermark acknowledged, once the resumed shapes hold its effect. */
  releaseAcknowledged(): void {
    const acked = this.acked
    this.acked = []
    for (const e of acked) e.done.resolve()
  }

  /**
   * The server applied this client's mutations up to `lmid` and the poke holding them was committed.
   * With `defer` (a subscription has not received its first poke yet, so it may not hold their effect),
   * they settle with `releaseAcknowledged` instead, so that no optimistic row blinks out meanwhile.
   */
  confirmThrough(lmid: number, defer = false): void {
    const confirmed = this.take(lmid)
    if (defer) this.acked.push(...confirmed)
    else for (const e of confirmed) e.done.resolve()
  }

  /** The server refused mutation `id`: its effect is gone, its id consumed. */
  fail(id: number, error: { kind: string; message: string; details?: Record<string, unknown> }): void {
    const i = this.list.findIndex((e) => e.id === id)
    if (i < 0) return
    const [e] = this.list.splice(i, 1)
    if (!e) return
    clearTimeout(e.timer)
    this.persistDelete([id])
    this.count()
    const err = new MutationRejectedError(
      error.kind as ErrorKind,
      error.message,
      error.details ?? {},
      id,
      e.name,
    )
    if (e.replayed || e.timedOut) this.options.onError(err)
    e.done.reject(err)
  }

  /** Sends, in id order, every persisted mutation not yet sent on this connection. */
  flush(): void {
    if (!this.online || this.closed) return
    let batch: PendingEntry[] = []
    let bytes = 0
    const sendBatch = (): void => {
      if (batch.length === 0) return
      const ok = this.options.send(batch.map((e) => ({ id: e.id, name: e.name, args: e.args })))
      if (ok) for (const e of batch) this.sent(e)
      batch = []
      bytes = 0
    }
    for (const e of this.list) {
      if (!e.persisted) break
      if (e.sentGen === this.gen) continue
      if (batch.length >= MAX_PUSH_MUTATIONS || bytes + e.size > PUSH_FRAME_BUDGET) sendBatch()
      batch.push(e)
      bytes += e.size
    }
    sendBatch()
  }

  /** Waits for queued store writes to finish. */
  idle(): Promise<void> {
    return this.chain
  }

  close(): void {
    this.closed = true
    this.online = false
    for (const e of this.list) {
      clearTimeout(e.timer)
      e.done.reject(new ClientClosedError())
    }
    for (const e of this.acked) e.done.reject(new ClientClosedError())
    for (const admit of this.waiting.splice(0)) admit()
  }

  private sent(e: PendingEntry): void {
    e.sentGen = this.gen
    clearTimeout(e.timer)
    if (e.timedOut || e.done.settled) return
    e.timer = setTimeout(() => {
      e.timedOut = true
      e.done.reject(new MutationTimeoutError(e.id, e.name, this.options.timeoutMs))
    }, this.options.timeoutMs)
  }

  private acknowledge(watermark: number): void {
    this.acked.push(...this.take(watermark))
  }

  /** Removes the entries with id ≤ upTo from the queue and the store. */
  private take(upTo: number): PendingEntry[] {
    let n = 0
    while (n < this.list.length && (this.list[n]?.id ?? Infinity) <= upTo) n++
    if (n === 0) return []
    const taken = this.list.splice(0, n)
    for (const e of taken) clearTimeout(e.timer)
    this.persistDelete(taken.map((e) => e.id))
    this.count()
    return taken
  }

  private persistDelete(ids: number[]): void {
    const store = this.store
    this.chain = this.chain
      .then(() => store?.deletePending(ids))
      .catch((err: unknown) => this.options.onError(err as LumenizeClientError))
  }

  private entry(
    id: number,
    name: string,
    args: unknown,
    seq: number,
    replayed: boolean,
    done: Deferred,
  ): PendingEntry {
    const size = JSON.stringify({ id, name, args }).length + 1
    return {
      id,
      name,
      args,
      seq,
      replayed,
      persisted: false,
      sentGen: -1,
      timedOut: false,
      timer: undefined,
      done,
      size,
    }
  }

  private count(): void {
    this.options.onCount(this.size)
  }
}
