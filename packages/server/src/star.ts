// The Star Durable Object: one per tenant, owns all of that star's data in SQLite.
// Kept thin: each operation lives in its own module (storage/, rpc/, socket.ts).
import { DurableObject } from 'cloudflare:workers'
import {
  CLOSE_CODES,
  ErrorKind,
  PING_FRAME,
  PONG_FRAME,
  RESERVED_CLOSE_CODES,
  STAR_ID_HEADER,
  STAR_ROUTES,
  type StarHealth,
} from '@lumenize/protocol'
import type { LumenizeConfig } from './config'
import type { Env } from './env'
import { httpError, json } from './http'
import { handleRpcRequest } from './rpc/http'
import type { RpcContext } from './rpc/methods'
import { handleSocketMessage } from './socket'
import { META } from './storage/meta'
import { migrate, SCHEMA_VERSION } from './storage/schema'
import { Store } from './storage/store'
import { SyncEngine } from './sync/engine'
import { ShapeRegistry } from './sync/shapes'

/** The DO class's shape, for `DurableObjectNamespace<...>` typing in apps. */
export type StarDurableObject = InstanceType<ReturnType<typeof createStarDO>>

/**
 * Builds the Star Durable Object class for a configuration. Export it from your Worker entry
 * under the class name of wrangler.jsonc.
 *
 * @example export class StarDO extends createStarDO(defineConfig({ types: { Task: {} } })) {}
 */
export function createStarDO(config: LumenizeConfig) {
  return class StarDO extends DurableObject<Env> {
    readonly store: Store
    readonly sync: SyncEngine
    private readonly rpc: RpcContext
    /** Differs after every eviction: lets tests see that the object really hibernated. */
    private readonly instance = crypto.randomUUID()

    constructor(ctx: DurableObjectState, env: Env) {
      super(ctx, env)
      migrate(ctx.storage)
      this.store = new Store(ctx.storage, config)
      this.sync = new SyncEngine(
        ctx,
        this.store,
        config,
        new ShapeRegistry(config.shapes ?? [], (type) => this.store.types.has(type)),
      )
      this.rpc = {
        store: this.store,
        health: () => this.health(),
        trimOpLog: (keepLast) => this.sync.trimOpLog(keepLast),
        instance: env.LUMENIZE_TEST_HOOKS === '1' ? this.instance : undefined,
      }
      // The protocol's heartbeat ping, byte for byte, is answered by the runtime without waking the object.
      ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(PING_FRAME, PONG_FRAME))
    }

    override async fetch(request: Request): Promise<Response> {
      const starId = request.headers.get(STAR_ID_HEADER)
      if (!starId) return httpError(400, ErrorKind.invalidStarId, `Missing ${STAR_ID_HEADER} header`)
      this.rememberStarId(starId)
      const route = new URL(request.url).pathname.split('/')[3] ?? ''
      switch (route) {
        case STAR_ROUTES.health:
          if (request.method !== 'GET')
            return httpError(405, ErrorKind.methodNotAllowed, 'Use GET for health')
          return json(this.health())
        case STAR_ROUTES.rpc:
          return handleRpcRequest(request, this.rpc)
        case STAR_ROUTES.sync:
          return this.acceptSync(request)
        default:
          return httpError(404, ErrorKind.notFound, `No route /${route} on a star`)
      }
    }

    /** What the health endpoint reports. Also callable over Cloudflare RPC. */
    health(): StarHealth {
      return {
        star: this.starId() ?? '',
        seq: this.store.seq(),
        sockets: this.ctx.getWebSockets().length,
        schemaVersion: SCHEMA_VERSION,
      }
    }

    override webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): void {
      handleSocketMessage(ws, message, this.rpc, this.sync, this.starId() ?? '')
    }

    override webSocketError(ws: WebSocket): void {
      this.sync.close(ws)
    }

    override async alarm(): Promise<void> {
      this.sync.onAlarm()
    }

    override webSocketClose(ws: WebSocket, code: number, reason: string): void {
      this.sync.close(ws)
      // Reserved codes may not be sent back; answer them with a normal close.
      const reply = RESERVED_CLOSE_CODES.includes(code) ? CLOSE_CODES.normal : code
      try {
        ws.close(reply, reason)
      } catch {
        // Already closed by the peer: nothing left to do.
      }
    }

    private acceptSync(request: Request): Response {
      if (request.headers.get('upgrade')?.toLowerCase() !== 'websocket') {
        return httpError(426, ErrorKind.badFrame, 'Expected a WebSocket upgrade on /sync')
      }
      const pair = new WebSocketPair()
      this.ctx.acceptWebSocket(pair[1])
      this.sync.accept(pair[1])
      return new Response(null, { status: 101, webSocket: pair[0] })
    }

    private rememberStarId(starId: string): void {
      if (this.starId() === starId) return
      this.store.meta.set(META.starId, starId)
      this.cachedStarId = starId
    }

    private cachedStarId: string | undefined

    private starId(): string | undefined {
      // Read once per instance: it is asked on every socket message.
      this.cachedStarId ??= this.store.meta.get(META.starId)
      return this.cachedStarId
    }
  }
}
