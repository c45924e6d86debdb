// What a SharedWorker runs: one hub for every tab that connects, made from the first tab's hello
// (the server, the star, the cache and the build it serves). `@lumenize/sharedworker`'s worker
// script is this, called on the worker's global.
import { type PortHello, PortHelloSchema } from '@lumenize/protocol'
import * as v from 'valibot'
import { Hub, type HubOptions } from './hub'
import { messagePort, messagesOf, type PortLike } from './port'

/** The part of a SharedWorker's global that the host needs. */
export interface SharedWorkerScope {
  onconnect: ((event: { ports: readonly MessagePort[] }) => void) | null
  close(): void
}

/** Extra hub options (tests: a shorter release delay; Node: a WebSocket class). */
export type HostOptions = Partial<
  Omit<HubOptions, 'url' | 'star' | 'clientGroupId' | 'persistence' | 'buildId'>
>

/**
 * Serves every tab that connects to this SharedWorker from one hub. The worker closes itself when
 * its hub stops (drained for a newer build), so the next tab starts a fresh one.
 *
 * @example
 * // worker.ts
 * import { hostSharedWorker } from '@lumenize/client-core/hub'
 * hostSharedWorker(self as unknown as SharedWorkerScope)
 */
export function hostSharedWorker(scope: SharedWorkerScope, extra: HostOptions = {}): void {
  let hub: Hub | undefined
  scope.onconnect = (event) => {
    const raw = event.ports[0]
    if (!raw) return
    const port = messagePort(raw)
    // The port's first hello makes the hub (once); then the hub hears the port from the start.
    const buffered: unknown[] = []
    const stop = port.listen((m) => {
      buffered.push(m)
      const hello = messagesOf(m).find((x): x is PortHello => v.is(PortHelloSchema, x))
      if (!hello) return
      stop()
      hub ??= new Hub({
        ...extra,
        ...hello.config,
        buildId: hello.buildId,
        onClosed: () => scope.close(),
      })
      replay(port, buffered, hub)
    })
  }
}

/** Hands a port to the hub with the messages it already carried, in order. */
function replay(port: PortLike, buffered: readonly unknown[], hub: Hub): void {
  const listeners = new Set<(m: unknown) => void>()
  const unlisten = port.listen((m) => {
    for (const l of [...listeners]) l(m)
  })
  hub.connect({
    postMessage: (m) => port.postMessage(m),
    listen(l) {
      listeners.add(l)
      for (const m of buffered) l(m)
      return () => listeners.delete(l)
    },
    close: () => {
      unlisten()
      port.close()
    },
  })
}
