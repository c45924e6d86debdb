// Frames on the sync socket: JSON-RPC 2.0 frames (objects with "jsonrpc", or arrays) go to the
// same dispatcher as `POST /rpc`; sync messages are parsed strictly and handed to the engine.
// A bad frame gets a typed error frame and the socket stays open.
import {
  ErrorKind,
  MAX_CLIENT_FRAME_BYTES,
  PONG_FRAME,
  type UpMessage,
  UpMessageSchema,
} from '@lumenize/protocol'
import * as v from 'valibot'
import { dispatchSync } from './rpc/jsonrpc'
import type { RpcContext } from './rpc/methods'
import { RPC_TABLE } from './rpc/table'
import type { SyncEngine } from './sync/engine'

export function handleSocketMessage(
  ws: WebSocket,
  message: string | ArrayBuffer,
  rpc: RpcContext,
  engine: SyncEngine,
  star: string,
): void {
  const size = typeof message === 'string' ? message.length : message.byteLength
  if (size > MAX_CLIENT_FRAME_BYTES) {
    engine.error(
      ws,
      ErrorKind.payloadTooLarge,
      `Frame is ${size} bytes; the limit is ${MAX_CLIENT_FRAME_BYTES}`,
      {
        size,
        limit: MAX_CLIENT_FRAME_BYTES,
      },
    )
    return
  }
  if (typeof message !== 'string') {
    engine.error(ws, ErrorKind.badFrame, 'Binary frames are not accepted')
    return
  }
  let frame: unknown
  try {
    frame = JSON.parse(message)
  } catch {
    engine.error(ws, ErrorKind.badFrame, 'Frame is not valid JSON')
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
    engine.error(ws, ErrorKind.badFrame, `Invalid frame: ${issues.join('; ')}`, { issues })
    return
  }
  route(ws, parsed.output, engine, star)
}

function route(ws: WebSocket, msg: UpMessage, engine: SyncEngine, star: string): void {
  switch (msg.type) {
    case 'connect':
      engine.connect(ws, msg, star)
      break
    case 'subscribe':
      engine.subscribe(ws, msg)
      break
    case 'unsubscribe':
      engine.unsubscribe(ws, msg.subId)
      break
    case 'push':
      engine.push(ws, msg)
      break
    case 'ping':
      ws.send(PONG_FRAME)
      break
    default:
      msg satisfies never
  }
}
