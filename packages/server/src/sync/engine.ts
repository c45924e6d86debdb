// The sync engine of a star: builds the parts (sessions, poke fan-out, retention, mutators) and
// routes each sync message to the module of its operation: connect.ts, subscribe.ts, push.ts.
import { PONG_FRAME, type UpMessage } from '@lumenize/protocol'
import type { LumenizeConfig } from '../config'
import { socketErrors } from '../errors'
import type { Store } from '../storage/store'
import { type Attachment, isConnected, readAttachment, writeAttachment } from './attachment'
import { connect } from './connect'
import type { SyncContext } from './context'
import { Mutators } from './mutators'
import { PokeFanout } from './pokes'
import { push } from './push'
import { Retention } from './retention'
import { send } from './send'
import { Sessions } from './sessions'
import type { ShapeRegistry } from './shapes'
import { subscribe, unsubscribe } from './subscribe'

export class SyncEngine {
  private readonly sync: SyncContext

  constructor(ctx: DurableObjectState, store: Store, config: LumenizeConfig, shapes: ShapeRegistry) {
    const sessions = new Sessions(ctx, store.subscriptions, shapes)
    // Pokes and retention call each other (a flush may schedule a trim, a trim flushes first).
    const retention: Retention = new Retention(ctx, store, sessions, () => pokes.flush(), config.opLog)
    const pokes: PokeFanout = new PokeFanout(store, sessions, () => retention.scheduleTrim())
    this.sync = { store, config, shapes, sessions, mutators: new Mutators(config.mutators), pokes, retention }
  }

  /** A new socket: give it an id that survives hibernation. */
  accept(ws: WebSocket): void {
    const sid = crypto.randomUUID()
    writeAttachment(ws, { sid })
    this.sync.sessions.trackSocket(ws, sid)
  }

  close(ws: WebSocket): void {
    const a = readAttachment(ws)
    if (a) this.sync.sessions.dropSocket(a.sid)
  }

  /** One parsed sync message of a socket. */
  handle(ws: WebSocket, msg: UpMessage, star: string): void {
    if (msg.type === 'ping') {
      ws.send(PONG_FRAME)
      return
    }
    const a: Attachment | undefined = readAttachment(ws)
    if (msg.type === 'connect') {
      if (a) connect(this.sync, ws, a, msg, star)
      return
    }
    if (!isConnected(a)) {
      send(ws, socketErrors.notConnected())
      return
    }
    switch (msg.type) {
      case 'subscribe':
        subscribe(this.sync, ws, a, msg)
        break
      case 'unsubscribe':
        unsubscribe(this.sync, ws, a, msg.subId)
        break
      case 'push':
        push(this.sync, ws, a, msg)
        break
      default:
        msg satisfies never
    }
  }

  /** Drops op-log entries beyond retention now (or all but the last `keepLast`). */
  trimOpLog(keepLast?: number): { trimmedThrough: number } {
    return this.sync.retention.trim(keepLast)
  }

  onAlarm(): void {
    this.sync.retention.onAlarm()
  }
}
