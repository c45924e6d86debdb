// Which hub writes a cache's shapes: hubs of two builds may run side by side for a while, and two
// writers of one shape's chunks would overwrite each other's rows. The holder of the writer lock
// writes; a hub that gets it later rewrites what it holds.
import type { AcquireLock, HeldLock } from '../locks'

export class CacheWriterLock {
  private lock: HeldLock | null = null
  private readonly abort = new AbortController()

  constructor(
    private readonly acquire: AcquireLock,
    private readonly name: string,
  ) {}

  get held(): boolean {
    return this.lock !== null
  }

  /** Waits for the place; `onGranted` rewrites the stored shapes (false from it: give it back). */
  start(onGranted: () => Promise<boolean>): void {
    void this.acquire(this.name, { signal: this.abort.signal }).then(async (lock) => {
      if (!lock) return
      this.lock = lock
      if (!(await onGranted())) this.release()
    })
  }

  /** Takes the place now if it is free (a hub closing before its turn came); true when held. */
  async tryNow(): Promise<boolean> {
    if (this.lock) return true
    this.lock = await this.acquire(this.name, { ifAvailable: true })
    return this.lock !== null
  }

  release(): void {
    this.abort.abort()
    this.lock?.release()
    this.lock = null
  }
}
