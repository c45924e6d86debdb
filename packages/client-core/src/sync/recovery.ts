// Mutation recovery: a client that closed with mutations still queued (a tab closed offline, a
// crash, a reload) leaves them in the group's cache. Every live client holds a Web Lock named after
// its clientId; whoever gets the lock of a client that is gone takes its queue over and pushes it
// under the original clientId, so the server's watermark applies each mutation exactly once.
// Siblings hear over a BroadcastChannel when a client starts queueing (they wait on its lock, which
// the browser releases when its page dies) and when one closes (they look at once).

import type { PendingRecord } from '../cache/db'
import type { ClientStore } from '../cache/store'
import type { AcquireLock, HeldLock } from '../locks'

export interface RecoveryOptions {
  locks: AcquireLock
  /** The lock a live client of this cache holds for its whole life. */
  lockName: (clientId: string) => string
  clientId: string
  store: () => ClientStore | undefined
  /** Takes over the queue of a closed client (shown optimistically and pushed). */
  adopt: (clientId: string, records: readonly PendingRecord[]) => void
  /** The BroadcastChannel siblings of this cache talk on. */
  channel: string
  /** How often to look for queues left behind without a word (a backstop; 30 s by default). */
  intervalMs?: number
}

/** What siblings tell each other. */
type RecoveryNote = { type: 'queueing' | 'closed'; clientId: string }

const isNote = (x: unknown): x is RecoveryNote =>
  typeof x === 'object' &&
  x !== null &&
  'type' in x &&
  (x.type === 'queueing' || x.type === 'closed') &&
  'clientId' in x &&
  typeof x.clientId === 'string'

export class Recovery {
  /** Clients that look alive: waiting for their lock, which the browser releases when they die. */
  private readonly watching = new Map<string, AbortController>()
  /** Closed clients whose queue this one holds, with their lock. */
  private readonly holding = new Map<string, HeldLock>()
  private own: HeldLock | null = null
  private timer: ReturnType<typeof setInterval> | undefined
  private closed = false
  private scanning: Promise<void> | undefined
  private readonly channel: BroadcastChannel | undefined
  private announced = false

  constructor(private readonly o: RecoveryOptions) {
    this.channel = typeof BroadcastChannel === 'undefined' ? undefined : new BroadcastChannel(o.channel)
    if (this.channel) {
      this.channel.onmessage = (e: MessageEvent) => {
        if (!isNote(e.data) || e.data.clientId === o.clientId || this.closed) return
        if (e.data.type === 'closed') void this.scan()
        else if (!this.holding.has(e.data.clientId) && !this.watching.has(e.data.clientId))
          this.watch(e.data.clientId)
      }
    }
  }

  /** This client has queued mutations: siblings wait on its lock from now on. */
  queueing(): void {
    if (this.announced || this.closed) return
    this.announced = true
    this.post({ type: 'queueing', clientId: this.o.clientId })
  }

  /** Holds this client's own lock: from now on nobody takes its queue while it lives. */
  async claim(): Promise<void> {
    this.own = await this.o.locks(this.o.lockName(this.o.clientId))
    if (this.closed) this.own?.release()
    if (this.closed) return
    this.timer = setInterval(() => void this.scan(), this.o.intervalMs ?? 30_000)
    ;(this.timer as { unref?: () => void }).unref?.()
  }

  /** Looks for queues of clients that are gone and takes them over; watches the living ones. */
  scan(): Promise<void> {
    this.scanning ??= this.scanNow().finally(() => {
      this.scanning = undefined
    })
    return this.scanning
  }

  /** The adopted queue of `clientId` is empty: its lock goes back. */
  drained(clientId: string): void {
    this.holding.get(clientId)?.release()
    this.holding.delete(clientId)
  }

  /** Stops; `leftQueue`: this client's queue is not empty, so siblings should look now. */
  close(leftQueue = false): void {
    if (this.closed) return
    this.closed = true
    if (this.timer !== undefined) clearInterval(this.timer)
    for (const ac of this.watching.values()) ac.abort()
    this.watching.clear()
    for (const lock of this.holding.values()) lock.release()
    this.holding.clear()
    this.own?.release()
    if (leftQueue) this.post({ type: 'closed', clientId: this.o.clientId })
    this.channel?.close()
  }

  private post(note: RecoveryNote): void {
    try {
      this.channel?.postMessage(note)
    } catch {
      // A closed channel: nobody left to tell.
    }
  }

  private async scanNow(): Promise<void> {
    const store = this.o.store()
    if (!store || this.closed) return
    for (const cid of await store.pendingClients()) {
      if (this.closed) return
      if (cid === this.o.clientId || this.holding.has(cid) || this.watching.has(cid)) continue
      const lock = await this.o.locks(this.o.lockName(cid), { ifAvailable: true })
      if (lock) await this.take(cid, lock)
      else this.watch(cid)
    }
  }

  private watch(clientId: string): void {
    const ac = new AbortController()
    this.watching.set(clientId, ac)
    void this.o.locks(this.o.lockName(clientId), { signal: ac.signal }).then((lock) => {
      this.watching.delete(clientId)
      if (lock) return this.take(clientId, lock)
    })
  }

  private async take(clientId: string, lock: HeldLock): Promise<void> {
    const store = this.o.store()
    if (this.closed || !store || this.holding.has(clientId)) {
      lock.release()
      return
    }
    this.holding.set(clientId, lock)
    this.o.adopt(clientId, await store.loadPending(clientId))
  }
}
