// What the runtime says about the network: the browser's online/offline events (windows and
// workers), or nothing where there are none (Node: always "online", the socket tells the truth).

/** The runtime's view of the network. */
export interface NetworkSignals {
  /** False when the runtime knows it is offline. */
  online(): boolean
  /** Hears the runtime go online (true) or offline (false). @returns a function that stops listening */
  subscribe(listener: (online: boolean) => void): () => void
}

interface EventSource {
  addEventListener(type: string, listener: () => void): void
  removeEventListener(type: string, listener: () => void): void
}

/** The `online`/`offline` events of this global (a window or a worker), where it has them. */
export function runtimeNetwork(): NetworkSignals {
  const g = globalThis as unknown as Partial<EventSource> & { navigator?: { onLine?: boolean } }
  const events = typeof g.addEventListener === 'function' && typeof g.removeEventListener === 'function'
  return {
    online: () => g.navigator?.onLine !== false,
    subscribe(listener) {
      if (!events) return () => undefined
      const source = g as EventSource
      const on = (): void => listener(true)
      const off = (): void => listener(false)
      source.addEventListener('online', on)
      source.addEventListener('offline', off)
      return () => {
        source.removeEventListener('online', on)
        source.removeEventListener('offline', off)
      }
    },
  }
}

/**
 * A runtime's own signals plus reports from elsewhere (a hub hears its tabs' browsers): the latest
 * word, from either, is what counts.
 */
export class ReportedNetwork implements NetworkSignals {
  private state: boolean
  private readonly listeners = new Set<(online: boolean) => void>()

  constructor(runtime: NetworkSignals) {
    this.state = runtime.online()
    runtime.subscribe((online) => this.report(online))
  }

  online(): boolean {
    return this.state
  }

  subscribe(listener: (online: boolean) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  report(online: boolean): void {
    if (online === this.state) return
    this.state = online
    for (const l of [...this.listeners]) l(online)
  }
}
