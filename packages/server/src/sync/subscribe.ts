// `subscribe` and `unsubscribe`: a new subscription gets a seed (a truncate part, then every row in
// bounded parts); one that resumes from a cookie the op-log still covers gets just the diff since.
import { type EntitySnapshot, ErrorKind, ORG_NODE_TYPE, projectRow, type Subscribe } from '@lumenize/protocol'
import { errorMessage, LumenizeError, socketErrors } from '../errors'
import type { ConnectedAttachment } from './attachment'
import type { SyncContext } from './context'
import { diffShapes } from './diff'
import { type Chunk, chunk, pokeEnd, pokePart, pokeStart } from './frames'
import { send, sendSerialized } from './send'
import type { ResolvedShape } from './shapes'

export function subscribe(ctx: SyncContext, ws: WebSocket, a: ConnectedAttachment, msg: Subscribe): void {
  let shape: ResolvedShape
  try {
    shape = ctx.shapes.resolve(msg.shape, msg.params ?? {})
  } catch (err) {
    if (!(err instanceof LumenizeError)) throw err
    send(ws, socketErrors.of(err, { subId: msg.subId }))
    return
  }
  // Deliver pending pokes first, so every subscription of a socket is at the same cookie.
  ctx.pokes.flush()
  const { store } = ctx
  const cookie = store.seq()
  const from = msg.cookie
  if (from !== undefined && from <= cookie && from >= ctx.retention.trimmedThrough()) {
    const diff = diffShapes([shape], from, cookie, store.stateAt(), store.types).get(shape.key)
    sendPoke(
      ws,
      `r${cookie}-${msg.subId}`,
      from,
      cookie,
      msg.subId,
      chunk(diff?.puts ?? [], diff?.dels),
      false,
    )
  } else {
    sendPoke(ws, `s${cookie}-${msg.subId}`, 0, cookie, msg.subId, chunk(seedRows(ctx, shape)), true)
  }
  ctx.sessions.subscribe(a.sid, msg.subId, shape)
}

export function unsubscribe(ctx: SyncContext, ws: WebSocket, a: ConnectedAttachment, subId: string): void {
  if (!ctx.sessions.unsubscribe(a.sid, subId)) {
    send(
      ws,
      errorMessage(ErrorKind.unknownSubscription, `No subscription "${subId}" on this socket`, { subId }),
    )
  }
}

/** Every row of a shape now: stored JSON spliced as is, or projected to the shape's fields. */
function* seedRows(ctx: SyncContext, shape: ResolvedShape): Generator<EntitySnapshot | string> {
  const { types, where, under, fields } = shape.spec
  // A subtree whose root does not exist (yet) is empty; it fills when the node appears.
  if (under !== undefined && ctx.store.get(under)?.type !== ORG_NODE_TYPE) return
  const options = {
    ...(types === undefined ? {} : { types }),
    ...(where === undefined ? {} : { where }),
    ...(under === undefined ? {} : { under }),
  }
  if (fields === undefined) yield* ctx.store.scanJson(options)
  else for (const row of ctx.store.scan(options)) yield projectRow(shape.spec, row)
}

/** One poke for one subscription; a seed's first part says truncate (an empty shape's seed too). */
function sendPoke(
  ws: WebSocket,
  pokeId: string,
  base: number,
  cookie: number,
  subId: string,
  chunks: Iterable<Chunk>,
  truncate: boolean,
): void {
  const frames = [pokeStart(pokeId, base, cookie)]
  let first = true
  for (const c of chunks) {
    frames.push(pokePart(pokeId, subId, c, truncate && first))
    first = false
  }
  frames.push(pokeEnd(pokeId, cookie, {}))
  sendSerialized(ws, frames)
}
