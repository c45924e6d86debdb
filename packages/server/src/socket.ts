// Frames on the sync socket. Until the sync protocol lands, the socket answers `ping` frames
// and rejects everything else with a typed error, staying open.
import { ErrorKind, MAX_CLIENT_FRAME_BYTES } from '@lumenize/protocol'

function send(ws: WebSocket, frame: unknown): void {
  ws.send(JSON.stringify(frame))
}

export function handleSocketMessage(ws: WebSocket, message: string | ArrayBuffer): void {
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
  if (typeof frame === 'object' && frame !== null && (frame as { type?: unknown }).type === 'ping') {
    send(ws, { type: 'pong' })
    return
  }
  send(ws, { type: 'error', kind: ErrorKind.badFrame, message: 'Unknown frame type' })
}
