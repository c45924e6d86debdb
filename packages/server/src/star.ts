// The Star Durable Object: one per tenant, owns all of that star's data in SQLite.
import { DurableObject } from 'cloudflare:workers'
import { CLOSE_CODES, ErrorKind, STAR_ID_HEADER, STAR_ROUTES, type StarHealth } from '@lumenize/protocol'
import type { Env } from './env'
import { httpError, json } from './http'
import { handleSocketMessage } from './socket'
import { migrate, SCHEMA_VERSION } from './storage/schema'

export class StarDO extends DurableObject<Env> {
  private readonly sql: SqlStorage

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env)
    this.sql = ctx.storage.sql
    migrate(ctx.storage)
    // Keep-alive pings are answered by the runtime without waking the object.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair('ping', 'pong'))
  }

  override async fetch(request: Request): Promise<Response> {
    const starId = request.headers.get(STAR_ID_HEADER)
    if (!starId) return httpError(400, ErrorKind.invalidStarId, `Missing ${STAR_ID_HEADER} header`)
    this.rememberStarId(starId)
    const route = new URL(request.url).pathname.split('/')[3] ?? ''
    switch (route) {
      case STAR_ROUTES.health:
        if (request.method !== 'GET') return httpError(405, ErrorKind.methodNotAllowed, 'Use GET for health')
        return json(this.health())
      case STAR_ROUTES.sync:
        return this.acceptSync(request)
      default:
        return httpError(404, ErrorKind.notFound, `No route /${route} on a star`)
    }
  }

  /** What the health endpoint reports. Also callable over Cloudflare RPC. */
  health(): StarHealth {
    const seq = this.sql.exec<{ seq: number }>('SELECT coalesce(max(seq), 0) AS seq FROM op_log').one().seq
    return {
      star: this.starId() ?? '',
      seq,
      sockets: this.ctx.getWebSockets().length,
      schemaVersion: SCHEMA_VERSION,
    }
  }

  override webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): void {
    handleSocketMessage(ws, message)
  }

  override webSocketClose(ws: WebSocket, code: number, reason: string): void {
    // 1005/1006/1015 are reserved and may not be sent back; answer them with a normal close.
    const reply = code === 1005 || code === 1006 || code === 1015 ? CLOSE_CODES.normal : code
    try {
      ws.close(reply, reason)
    } catch {
      // Already closed by the peer: nothing left to do.
    }
  }

  private acceptSync(request: Request): Response {
    if (request.headers.get('upgrade')?.toLowerCase() !== 'websocket') {
      return httpError(426, ErrorKind.badFrame, 'Expected a WebSocket upgrade on /sync', {})
    }
    const pair = new WebSocketPair()
    const [client, server] = [pair[0], pair[1]]
    this.ctx.acceptWebSocket(server)
    return new Response(null, { status: 101, webSocket: client })
  }

  private rememberStarId(starId: string): void {
    if (this.starId() === starId) return
    this.sql.exec("INSERT OR REPLACE INTO meta (key, value) VALUES ('star_id', ?)", starId)
  }

  private starId(): string | undefined {
    return this.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'star_id'").toArray()[0]
      ?.value
  }
}
