// Sending on a sync socket: one message, or many packed into as few frames as fit. A socket that
// closed under us is left to its close handler.
import type { DownMessage } from '@lumenize/protocol'
import { pack } from './frames'

/** Sends one message (a typed object, serialized here). */
export function send(ws: WebSocket, message: DownMessage): void {
  sendSerialized(ws, [JSON.stringify(message)])
}

/** Sends already serialized messages, in order, bundled into JSON arrays where they fit. */
export function sendSerialized(ws: WebSocket, messages: readonly string[]): void {
  try {
    for (const frame of pack(messages)) ws.send(frame)
  } catch {
    // The socket closed under us; its close handler cleans up.
  }
}
