// The default client-core transport (partysocket) with timestamps, for the bench page and the Node
// workloads alike: when the client asked to connect, sent its first subscribe, and got its first
// pokeEnd (delivered after the listener ran, so it includes applying that poke).
import { partySocketTransport, type Transport, type WebSocketLike } from '@lumenize/client-core'

export interface ProbeMarks {
  connectAt?: number
  subscribeAt?: number
  /** The first pokeEnd reached the transport (before the client applied it). */
  pokeEndAt?: number
}

export function probeTransport(options: { url: string; star: string; WebSocket?: WebSocketLike }): {
  transport: Transport
  marks: ProbeMarks
  /** Called when the client asks the transport to connect. */
  onConnect(fn: () => void): void
} {
  const inner = partySocketTransport(options)
  const marks: ProbeMarks = {}
  let connectHook: (() => void) | undefined
  const transport: Transport = {
    ...inner,
    connect() {
      marks.connectAt = performance.now()
      connectHook?.()
      inner.connect()
    },
    send(message) {
      if (message.type === 'subscribe') marks.subscribeAt ??= performance.now()
      return inner.send(message)
    },
    onMessage(listener) {
      return inner.onMessage((m) => {
        if ((m as { type?: string }).type === 'pokeEnd') marks.pokeEndAt ??= performance.now()
        listener(m)
      })
    },
  }
  return {
    transport,
    marks,
    onConnect(fn) {
      connectHook = fn
    },
  }
}
