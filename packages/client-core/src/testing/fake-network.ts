// Network signals driven by hand, for tests: the runtime goes offline and online on command.
import type { NetworkSignals } from '../lifecycle/network'

export class FakeNetwork implements NetworkSignals {
  private isOnline: boolean
  private readonly listeners = new Set<(online: boolean) => void>()

  constructor(online = true) {
    this.isOnline = online
  }

  online(): boolean {
    return this.isOnline
  }

  subscribe(listener: (online: boolean) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  goOffline(): void {
    this.isOnline = false
    for (const l of [...this.listeners]) l(false)
  }

  goOnline(): void {
    this.isOnline = true
    for (const l of [...this.listeners]) l(true)
  }
}
