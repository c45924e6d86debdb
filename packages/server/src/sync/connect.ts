// `connect`: the first frame of a socket. Checks the protocol version and the token, binds the
// socket to its client and group (in its attachment), and answers with the client's watermark.
import {
  CLOSE_CODES,
  type Connect,
  ErrorKind,
  MIN_SUPPORTED_PROTOCOL_VERSION,
  PROTOCOL_VERSION,
} from '@lumenize/protocol'
import { errorMessage, socketErrors } from '../errors'
import { type Attachment, writeAttachment } from './attachment'
import type { SyncContext } from './context'
import { send } from './send'

const anyone = (): { subject: string } => ({ subject: 'anonymous' })

export function connect(ctx: SyncContext, ws: WebSocket, a: Attachment, msg: Connect, star: string): void {
  if (a.cid) {
    send(ws, socketErrors.badFrame('This socket is already connected; open a new one'))
    return
  }
  if (msg.protocolVersion < MIN_SUPPORTED_PROTOCOL_VERSION || msg.protocolVersion > PROTOCOL_VERSION) {
    send(
      ws,
      errorMessage(
        ErrorKind.protocolVersion,
        `Protocol version ${msg.protocolVersion} is not supported: this server speaks ${MIN_SUPPORTED_PROTOCOL_VERSION}..${PROTOCOL_VERSION}`,
        { supported: [MIN_SUPPORTED_PROTOCOL_VERSION, PROTOCOL_VERSION] },
      ),
    )
    ws.close(CLOSE_CODES.versionMismatch, 'protocol version')
    return
  }
  const auth = (ctx.config.authenticate ?? anyone)(msg.token, star)
  if (!auth) {
    send(ws, errorMessage(ErrorKind.unauthorized, 'The token was refused'))
    ws.close(CLOSE_CODES.unauthorized, 'unauthorized')
    return
  }
  const known = ctx.store.watermarks.get(msg.clientId)
  if (known && known.gid !== msg.clientGroupId) {
    send(ws, socketErrors.otherGroup(msg.clientId))
    return
  }
  writeAttachment(ws, { ...a, cid: msg.clientId, gid: msg.clientGroupId, subject: auth.subject })
  // Confirmations of the group's pushes go to this socket from now on.
  ctx.sessions.trackGroup(a.sid, msg.clientGroupId)
  send(ws, {
    type: 'connected',
    protocolVersion: PROTOCOL_VERSION,
    watermark: known?.lmid ?? 0,
    cookie: ctx.store.seq(),
  })
}
