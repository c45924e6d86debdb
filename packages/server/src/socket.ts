// Frames on the sync socket: JSON-RPC 2.0 frames (objects with "jsonrpc", or arrays) go to the
// same dispatcher as `POST /rpc`; sync messages are parsed strictly and handed to the engine.
// A bad frame gets a typed error frame and the socket stays open.
import { MAX_CLIENT_FRAME_BYTES, UpMessageSchema } from '@lumenize/protocol'
import * as v from 'valibot'
import { socketErrors } from './errors'
import { dispatchSync } from './rpc/jsonrpc'
import type { RpcContext } from './rpc/methods'
import { RPC_TABLE } from './rpc/table'
import type { SyncEngine } from './sync/engine'
import { send } from './sync/send'

export function handleSocketMessage(
  ws: WebSocket,
  message: string | ArrayBuffer,
  rpc: RpcContext,
  engine: SyncEngine,
  star: string,
): void {
  const size = typeof message === 'string' ? message.length : message.byteLength
  if (size > MAX_CLIENT_FRAME_BYTES) {
    send(ws, socketErrors.frameTooLarge(size, MAX_CLIENT_FRAME_BYTES))
    return
  }
  if (typeof message !== 'string') {
    send(ws, socketErrors.badFrame('Binary frames are not accepted'))
    return
  }
  let frame: unknown
  try {
    frame = JSON.parse(message)
  } catch {
    send(ws, socketErrors.badFrame('Frame is not valid JSON'))
    return
  }
  if (Array.isArray(frame) || (typeof frame === 'object' && frame !== null && 'jsonrpc' in frame)) {
    const reply = dispatchSync(RPC_TABLE, frame, rpc)
    if (reply !== undefined) ws.send(reply)
    return
  }
  const parsed = v.safeParse(UpMessageSchema, frame)
  if (!parsed.success) {
    const issues = parsed.issues.map((i) => `${v.getDotPath(i) ?? '(frame)'}: ${i.message}`)
    send(ws, socketErrors.badFrame(`Invalid frame: ${issues.join('; ')}`, { issues }))
    return
  }
  engine.handle(ws, parsed.output, star)
}
