// A minimal client of the sync protocol over a real WebSocket (`ws`): connect, subscribe, push,
// and pokes buffered per pokeId and applied to a replica (a Map per subscription) at pokeEnd.
// It records when each poke was applied so workloads can time write-to-applied latency.
import { randomUUID } from 'node:crypto'
import {
  type DownMessage,
  type EntitySnapshot,
  type PokePart,
  PROTOCOL_VERSION,
  STAR_ROUTES,
  STARS_PATH_PREFIX,
  unbundle,
} from '@lumenize/protocol'
import WebSocket from 'ws'
import { withTimeout } from './util'

export interface Mutation {
  id: number
  name: string
  args: unknown
}

export interface AppliedPoke {
  pokeId: string
  cookie: number
  /** performance.now() when the poke was applied. */
  at: number
  puts: number
  dels: number
  /** pokePart messages of the poke. */
  parts: number
  /** Bytes of the frames that carried it (a frame bundling several messages is counted once). */
  bytes: number
}

export interface ClientOptions {
  origin: string
  star: string
  clientId?: string
  clientGroupId?: string
  /** Keep rows in the replica (default true). Off, pokes are still parsed and counted. */
  keepRows?: boolean
  timeoutMs?: number
}

/** Offer permessage-deflate like browsers do (off by default: it costs CPU on both sides). */
const DEFLATE = process.env.BENCH_WS_DEFLATE === '1'

export function syncUrl(origin: string, star: string): string {
  return `${origin.replace(/^http/, 'ws')}${STARS_PATH_PREFIX}${star}/${STAR_ROUTES.sync}`
}

export class SyncClient {
  readonly clientId: string
  readonly clientGroupId: string
  /** subId -> entity id -> row. */
  readonly replicas = new Map<string, Map<string, EntitySnapshot>>()
  cookie = 0
  /** This client's last mutation id confirmed by a pokeEnd (or the connect watermark). */
  confirmed = 0
  nextMutationId = 1
  framesReceived = 0
  bytesReceived = 0
  pokesApplied = 0
  readonly errors: DownMessage[] = []
  /** Called after every applied poke. */
  onPoke: ((poke: AppliedPoke) => void) | undefined

  private readonly keepRows: boolean
  private readonly pending = new Map<string, { parts: PokePart[]; bytes: number }>()
  private readonly rowWaiters = new Map<string, Array<(at: number) => void>>()
  private readonly confirmWaiters: Array<{ id: number; resolve: (at: number) => void }> = []
  private readonly seedWaiters = new Map<
    string,
    { resolve: (p: AppliedPoke) => void; reject: (e: Error) => void }
  >()
  private connectedWaiter: ((m: { watermark: number; cookie: number }) => void) | undefined

  private constructor(
    readonly ws: WebSocket,
    private readonly options: ClientOptions,
  ) {
    this.clientId = options.clientId ?? randomUUID()
    this.clientGroupId = options.clientGroupId ?? randomUUID()
    this.keepRows = options.keepRows ?? true
    ws.on('message', (data: Buffer) => this.receive(data))
  }

  /** Opens the socket and sends `connect`; resolves at `connected`. */
  static async open(options: ClientOptions): Promise<SyncClient> {
    const timeoutMs = options.timeoutMs ?? 30_000
    const ws = new WebSocket(syncUrl(options.origin, options.star), { perMessageDeflate: DEFLATE })
    ws.on('error', () => {
      // Reported through open/close below; an unhandled 'error' would crash the run.
    })
    await withTimeout(
      new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve())
        ws.once('error', reject)
        ws.once('unexpected-response', (_req, res) => reject(new Error(`Upgrade refused: ${res.statusCode}`)))
      }),
      timeoutMs,
      'WebSocket open',
    ).catch((err) => {
      ws.terminate()
      throw err
    })
    const client = new SyncClient(ws, options)
    const connected = new Promise<{ watermark: number; cookie: number }>((r) => {
      client.connectedWaiter = r
    })
    client.send({
      type: 'connect',
      protocolVersion: PROTOCOL_VERSION,
      clientGroupId: client.clientGroupId,
      clientId: client.clientId,
    })
    const m = await withTimeout(connected, timeoutMs, 'connected').catch((err) => {
      ws.terminate()
      throw err
    })
    client.confirmed = m.watermark
    client.nextMutationId = m.watermark + 1
    client.cookie = m.cookie
    return client
  }

  send(frame: unknown): void {
    this.ws.send(JSON.stringify(frame))
  }

  /** Subscribes; resolves when the seed poke (the first with `truncate` for subId) is applied. */
  subscribe(subId: string, shape: string, params?: Record<string, unknown>): Promise<AppliedPoke> {
    const done = new Promise<AppliedPoke>((resolve, reject) =>
      this.seedWaiters.set(subId, { resolve, reject }),
    )
    this.send({ type: 'subscribe', subId, shape, ...(params ? { params } : {}) })
    return withTimeout(done, this.options.timeoutMs ?? 120_000, `seed of ${subId}`)
  }

  /** Sends one push frame with the next ids; returns the last id sent. */
  push(mutations: ReadonlyArray<Omit<Mutation, 'id'>>): number {
    const withIds = mutations.map((m) => ({ id: this.nextMutationId++, name: m.name, args: m.args }))
    this.send({ type: 'push', clientId: this.clientId, mutations: withIds })
    return this.nextMutationId - 1
  }

  /** Resolves with the time the next poke putting `id` was applied. */
  whenApplied(id: string): Promise<number> {
    return new Promise((resolve) => {
      const list = this.rowWaiters.get(id)
      if (list) list.push(resolve)
      else this.rowWaiters.set(id, [resolve])
    })
  }

  /** Resolves with the time a pokeEnd confirmed mutation `id` of this client. */
  whenConfirmed(id: number): Promise<number> {
    if (this.confirmed >= id) return Promise.resolve(performance.now())
    return new Promise((resolve) => this.confirmWaiters.push({ id, resolve }))
  }

  rows(subId: string): Map<string, EntitySnapshot> {
    let m = this.replicas.get(subId)
    if (!m) {
      m = new Map()
      this.replicas.set(subId, m)
    }
    return m
  }

  /** Closes the socket (a terminate if the close handshake takes longer than `ms`). */
  close(ms = 2000): Promise<void> {
    const ws = this.ws
    if (ws.readyState === WebSocket.CLOSED) return Promise.resolve()
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        ws.terminate()
        resolve()
      }, ms)
      ws.once('close', () => {
        clearTimeout(timer)
        resolve()
      })
      try {
        ws.close(1000)
      } catch {
        ws.terminate()
      }
    })
  }

  private receive(data: Buffer): void {
    this.framesReceived++
    this.bytesReceived += data.length
    // A frame may bundle several messages (a small poke is one frame): its bytes count once.
    let bytes = data.length
    for (const msg of unbundle(JSON.parse(data.toString()))) {
      this.receiveMessage(msg as DownMessage, bytes)
      bytes = 0
    }
  }

  private receiveMessage(msg: DownMessage, bytes: number): void {
    switch (msg.type) {
      case 'connected':
        this.connectedWaiter?.({ watermark: msg.watermark, cookie: msg.cookie })
        this.connectedWaiter = undefined
        return
      case 'pokeStart':
        this.pending.set(msg.pokeId, { parts: [], bytes })
        return
      case 'pokePart': {
        const p = this.pending.get(msg.pokeId)
        if (p) {
          p.parts.push(msg)
          p.bytes += bytes
        }
        return
      }
      case 'pokeEnd': {
        const p = this.pending.get(msg.pokeId)
        this.pending.delete(msg.pokeId)
        this.apply(msg.pokeId, msg.cookie, p?.parts ?? [], (p?.bytes ?? 0) + bytes, msg.lastMutationIdChanges)
        return
      }
      case 'error': {
        this.errors.push(msg)
        const subId = msg.details?.subId
        if (typeof subId === 'string') {
          this.seedWaiters.get(subId)?.reject(new Error(`subscribe ${subId}: ${msg.kind} ${msg.message}`))
          this.seedWaiters.delete(subId)
        }
        return
      }
      case 'mutationError':
        this.errors.push(msg)
        return
      default:
        return
    }
  }

  private apply(
    pokeId: string,
    cookie: number,
    parts: PokePart[],
    bytes: number,
    lmids: Record<string, number>,
  ): void {
    let puts = 0
    let dels = 0
    const seeded: string[] = []
    const truncated = new Set<string>()
    for (const part of parts) {
      const rows = this.rows(part.subId)
      if (part.truncate && !truncated.has(part.subId)) {
        rows.clear()
        truncated.add(part.subId)
        seeded.push(part.subId)
      }
      for (const row of part.puts) {
        if (this.keepRows) rows.set(row.id, row)
        puts++
      }
      for (const id of part.dels) {
        rows.delete(id)
        dels++
      }
    }
    this.cookie = cookie
    this.pokesApplied++
    const at = performance.now()
    const applied: AppliedPoke = { pokeId, cookie, at, puts, dels, parts: parts.length, bytes }
    if (this.rowWaiters.size > 0) {
      for (const part of parts) {
        for (const row of part.puts) {
          const list = this.rowWaiters.get(row.id)
          if (!list) continue
          this.rowWaiters.delete(row.id)
          for (const r of list) r(at)
        }
      }
    }
    const lmid = lmids[this.clientId]
    if (lmid !== undefined && lmid > this.confirmed) {
      this.confirmed = lmid
      for (let i = this.confirmWaiters.length - 1; i >= 0; i--) {
        const w = this.confirmWaiters[i]!
        if (w.id <= lmid) {
          this.confirmWaiters.splice(i, 1)
          w.resolve(at)
        }
      }
    }
    for (const subId of seeded) {
      this.seedWaiters.get(subId)?.resolve(applied)
      this.seedWaiters.delete(subId)
    }
    this.onPoke?.(applied)
  }
}

/** Opens `n` clients with at most `concurrency` handshakes in flight. */
export async function openMany(
  n: number,
  concurrency: number,
  make: (i: number) => Promise<SyncClient>,
): Promise<SyncClient[]> {
  const out: SyncClient[] = new Array(n)
  let next = 0
  await Promise.all(
    Array.from({ length: Math.min(concurrency, n) }, async () => {
      while (next < n) {
        const i = next++
        out[i] = await make(i)
      }
    }),
  )
  return out
}

export async function closeAll(clients: readonly (SyncClient | undefined)[]): Promise<void> {
  const list = clients.filter((c): c is SyncClient => c !== undefined)
  for (let i = 0; i < list.length; i += 500) await Promise.all(list.slice(i, i + 500).map((c) => c.close()))
}
