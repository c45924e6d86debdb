// A two-way channel between a tab and its hub: a MessagePort (SharedWorker, or the leader tab's own
// client), or one peer of a BroadcastChannel (a follower tab and the leader). Messages are
// structured-cloned; a message may be an array of messages (a whole poke), delivered in order.

/** What a tab and a hub talk over. */
export interface PortLike {
  postMessage(message: unknown): void
  /** @returns a function that stops listening */
  listen(listener: (message: unknown) => void): () => void
  close(): void
}

/** A MessagePort (of a SharedWorker or a MessageChannel) as a PortLike. */
export function messagePort(port: MessagePort): PortLike {
  const listeners = new Set<(m: unknown) => void>()
  port.onmessage = (e: MessageEvent) => {
    for (const l of [...listeners]) l(e.data)
  }
  port.start()
  return {
    postMessage: (m) => port.postMessage(m),
    listen(l) {
      listeners.add(l)
      return () => listeners.delete(l)
    },
    close: () => port.close(),
  }
}

/** The messages of one port message, in order (a hub sends a poke as one array). */
export function messagesOf(message: unknown): unknown[] {
  return Array.isArray(message) ? message : [message]
}
