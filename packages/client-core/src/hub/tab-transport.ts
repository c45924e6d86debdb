// A tab's transport when a hub holds the socket: the sync protocol over a port to the hub (a
// SharedWorker, or the leader tab). It says hello, waits for the hub's welcome, then carries the
// sync messages; the hub's own messages (upstream status, siblings' queues, token requests, reload)
// go to control listeners. A hub that dies releases its lock: the tab notices at once and connects
// to the next one (a new SharedWorker, or the new leader).
import {
  CLOSE_CODES,
  LooseDownMessageSchema,
  PORT_PROTOCOL_VERSION,
  type PortControl,
  PortControlSchema,
  type PortHello,
  type UpMessage,
} from '@lumenize/protocol'
import * as v from 'valibot'
import type { AcquireLock } from '../locks'
import type { Transport, TransportStatus } from '../transport'
import { messagesOf, type PortLike } from './port'

/** A transport to a hub, with the hub's own messages on the side. */
export interface HubTransport extends Transport {
  readonly hub: true
  onControl(listener: (message: PortControl) => void): () => void
  /** Answers a token request, reports the network, or says goodbye (the client closes). */
  sendControl(
    message:
      | { type: 'token'; requestId: string; token?: string; error?: string }
      | { type: 'network'; online: boolean }
      | { type: 'bye' },
  ): void
}

export function isHubTransport(t: Transport): t is HubTransport {
  return 'hub' in t && t.hub === true
}

export interface HubTransportOptions {
  /** Opens a port to the current hub (a new SharedWorker's, or the leader's). */
  open: () => PortLike
  hello: Omit<PortHello, 'type' | 'portVersion'>
  locks: AcquireLock
  /** The lock a hub holds while it lives. */
  hubLock: (hubId: string) => string
  /** How soon to say hello again while no hub answers (a leader being elected), in ms. */
  helloEveryMs?: number
}

export function hubTransport(o: HubTransportOptions): HubTransport {
  const messageListeners = new Set<(m: unknown) => void>()
  const statusListeners = new Set<(s: TransportStatus, d?: { code?: number; reason?: string }) => void>()
  const controlListeners = new Set<(m: PortControl) => void>()
  let port: PortLike | undefined
  let unlisten: (() => void) | undefined
  let open = false
  let hello: ReturnType<typeof setInterval> | undefined
  let watch: AbortController | undefined
  let retry: ReturnType<typeof setTimeout> | undefined
  let wanted = false

  const status = (s: TransportStatus, d?: { code?: number; reason?: string }): void => {
    for (const l of [...statusListeners]) l(s, d)
  }
  const sayHello = (): void =>
    port?.postMessage({ type: 'hello', portVersion: PORT_PROTOCOL_VERSION, ...o.hello })

  const teardown = (): void => {
    if (hello !== undefined) clearInterval(hello)
    hello = undefined
    watch?.abort()
    watch = undefined
    unlisten?.()
    unlisten = undefined
    port?.close()
    port = undefined
    open = false
  }

  /** The hub is gone: report a closed socket and connect to the next hub. */
  const lost = (): void => {
    const wasOpen = open
    teardown()
    if (wasOpen) status('closed', { code: CLOSE_CODES.abnormal, reason: 'hub gone' })
    if (wanted) retry = setTimeout(connect, 50)
  }

  const onMessage = (raw: unknown): void => {
    for (const m of messagesOf(raw)) {
      const control = v.safeParse(PortControlSchema, m)
      if (control.success) {
        if (control.output.type === 'welcome') welcomed(control.output.hubId)
        for (const l of [...controlListeners]) l(control.output)
        continue
      }
      // Sync messages go on to the session (which parses them loosely itself).
      if (open && v.is(LooseDownMessageSchema, m)) for (const l of [...messageListeners]) l(m)
    }
  }

  const welcomed = (hubId: string): void => {
    // A hello sent twice is welcomed twice: the first welcome opens.
    if (open) return
    if (hello !== undefined) clearInterval(hello)
    hello = undefined
    open = true
    // The hub holds its lock while it lives: granted to this tab means the hub died.
    const ac = new AbortController()
    watch = ac
    void o.locks(o.hubLock(hubId), { signal: ac.signal }).then((lock) => {
      lock?.release()
      if (lock && watch === ac) lost()
    })
    status('open')
  }

  function connect(): void {
    wanted = true
    if (retry !== undefined) clearTimeout(retry)
    retry = undefined
    if (port) return
    port = o.open()
    unlisten = port.listen(onMessage)
    sayHello()
    hello = setInterval(sayHello, o.helloEveryMs ?? 500)
  }

  return {
    hub: true,
    connect,
    disconnect() {
      wanted = false
      if (retry !== undefined) clearTimeout(retry)
      teardown()
    },
    send(message: UpMessage) {
      if (!open || !port) return false
      port.postMessage(message)
      return true
    },
    sendControl(message) {
      port?.postMessage(message)
    },
    onMessage(listener) {
      messageListeners.add(listener)
      return () => messageListeners.delete(listener)
    },
    onStatus(listener) {
      statusListeners.add(listener)
      return () => statusListeners.delete(listener)
    },
    onControl(listener) {
      controlListeners.add(listener)
      return () => controlListeners.delete(listener)
    },
  }
}
