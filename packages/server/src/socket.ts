// Frames on the sync socket. JSON-RPC 2.0 frames (objects with "jsonrpc", or batches) go to the
// same dispatcher as `POST /rpc`; `ping` is answered; anything else gets a typed error frame and
// the socket stays open.
import { ErrorKind, MAX_CLIENT_FRAME_BYTES } from '@lumenize/protocol'
import { dispatchSync } from './rpc/jsonrpc'
import type { RpcContext } from './rpc/methods'
import { RPC_TABLE } from './rpc/table'

function send(ws: WebSocket, frame: unknown): void {
  ws.send(JSON.stringify(frame))
}

export function handleSocketMessage(ws: WebSocket, message: string | ArrayBuffer, rpc: RpcContext): void {
  const size = typeof message === 'string' ? message.length : message.byteLength
  if (size > MAX_CLIENT_FRAME_BYTES) {
    send(ws, {
      type: 'error',
      kind: ErrorKind.payloadTooLarge,
      message: `Frame over ${MAX_CLIENT_FRAME_BYTES} bytes`,
    })
    return
  }
  if (typeof message !== 'string') {
    send(ws, { type: 'error', kind: ErrorKind.badFrame, message: 'Binary frames are not accepted' })
    return
  }
  let frame: unknown
  try {
    frame = JSON.parse(message)
  } catch {
    send(ws, { type: 'error', kind: ErrorKind.badFrame, message: 'Frame is not valid JSON' })
    return
  }
  if (Array.isArray(frame) || (typeof frame === 'object' && frame !== null && 'jsonrpc' in frame)) {
    const reply = dispatchSync(RPC_TABLE, frame, rpc)
    if (reply !== undefined) ws.send(reply)
    return
  }
  if (typeof frame === 'object' && frame !== null && (frame as { type?: unknown }).type === 'ping') {
    send(ws, { type: 'pong' })
    return
  }
  send(ws, { type: 'error', kind: ErrorKind.badFrame, message: 'Unknown frame type' })
}
