// JSON-RPC 2.0 over HTTP (`POST /stars/<id>/rpc`), for loading data and timing reads.
import { STAR_ROUTES, STARS_PATH_PREFIX } from '@lumenize/protocol'

export interface RpcCall {
  method: string
  params?: unknown
}

export class RpcError extends Error {
  constructor(
    message: string,
    readonly code: number,
    readonly data: unknown,
  ) {
    super(message)
  }
}

interface Reply {
  id: number
  result?: unknown
  error?: { code: number; message: string; data?: unknown }
}

export class RpcClient {
  private nextId = 1
  readonly url: string

  constructor(origin: string, star: string) {
    this.url = `${origin}${STARS_PATH_PREFIX}${star}/${STAR_ROUTES.rpc}`
  }

  /** One call; throws RpcError on a JSON-RPC error. */
  async call<T = unknown>(method: string, params?: unknown, timeoutMs = 60_000): Promise<T> {
    const id = this.nextId++
    const reply = (await this.post({ jsonrpc: '2.0', id, method, params }, timeoutMs)) as Reply
    if (reply.error)
      throw new RpcError(`${method}: ${reply.error.message}`, reply.error.code, reply.error.data)
    return reply.result as T
  }

  /** A batch (≤ 100 calls), run by the star in one turn, in order; throws on the first error. */
  async batch<T = unknown>(calls: readonly RpcCall[], timeoutMs = 60_000): Promise<T[]> {
    const first = this.nextId
    this.nextId += calls.length
    const body = calls.map((c, i) => ({ jsonrpc: '2.0', id: first + i, method: c.method, params: c.params }))
    const replies = (await this.post(body, timeoutMs)) as Reply[]
    replies.sort((a, b) => a.id - b.id)
    return replies.map((r) => {
      if (r.error) throw new RpcError(r.error.message, r.error.code, r.error.data)
      return r.result as T
    })
  }

  private async post(body: unknown, timeoutMs: number): Promise<unknown> {
    const res = await fetch(this.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    })
    const text = await res.text()
    if (!res.ok) throw new Error(`POST ${this.url}: HTTP ${res.status} ${text.slice(0, 300)}`)
    return JSON.parse(text)
  }
}
