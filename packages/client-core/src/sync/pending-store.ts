// The pending queue's writes to the store, in order: entries waiting together go in one store
// transaction (a burst of edits costs one IndexedDB write, not one each), deletions after them.
import type { ClientStore } from '../cache/store'
import { CacheWriteError, LumenizeClientError } from '../errors'
import type { PendingEntry } from './pending-entry'

export class PendingStore {
  private store: ClientStore | undefined
  private chain: Promise<void> = Promise.resolve()
  private readonly unstored: PendingEntry[] = []
  private storing: Promise<void> | undefined

  constructor(
    /** Stored entries (or ones the store failed: they are sent anyway, losing them would be worse). */
    private readonly onStored: (entries: readonly PendingEntry[]) => void,
    private readonly onError: (error: LumenizeClientError) => void,
  ) {}

  open(store: ClientStore): void {
    this.store = store
  }

  get isOpen(): boolean {
    return this.store !== undefined
  }

  /** Stores an entry with the others waiting; resolves once it is stored. */
  add(e: PendingEntry): Promise<void> {
    this.unstored.push(e)
    this.storing ??= this.chain.then(() => this.storeWaiting())
    this.chain = this.storing
    return this.storing
  }

  delete(clientId: string, ids: number[]): void {
    const store = this.store
    this.chain = this.chain
      .then(() => store?.deletePending(clientId, ids))
      .catch((err: unknown) => this.report(err))
  }

  /** Runs `fn` once every write asked for so far is done. */
  after(fn: () => void): void {
    this.chain = this.chain.then(fn)
  }

  /** Settles when every write asked for so far is done. */
  idle(): Promise<void> {
    return this.chain
  }

  private async storeWaiting(): Promise<void> {
    this.storing = undefined
    const batch = this.unstored.splice(0)
    try {
      await this.store?.addPending(
        batch.map((e) => ({
          clientId: e.clientId,
          id: e.id,
          name: e.name,
          args: e.args,
          createdAt: e.createdAt,
        })),
      )
    } catch (err) {
      this.report(err)
    }
    this.onStored(batch)
  }

  /** Stores report their own failures and never reject; anything else is still reported. */
  private report(err: unknown): void {
    this.onError(err instanceof LumenizeClientError ? err : new CacheWriteError(err))
  }
}
