// A test client of the sync protocol over a real WebSocket: replicas per subscription, pokes, pushes.
// Every message the server sends is parsed with the protocol's strict schema; a mismatch is a
// violation, and any test whose clients saw one fails (see the afterEach below).
import { randomUUID } from 'node:crypto'
import {
  type Connected,
  type EntitySnapshot,
  type ErrorMessage,
  type MutationError,
  type PokeEnd,
  type PokePart,
  type PokeStart,
  PROTOCOL_VERSION,
  unbundle,
} from '@lumenize/protocol'
import { openSocket, type TestSocket } from './helpers'
import { checkedInThisTest, schemaViolation } from './strict-frames'

/** One subscription and its replica, as a client keeps it. */
export interface Subscription {
  readonly subId: string
  readonly shape: string
  readonly params: Record<string, unknown>
  /** The rows of the subscription, by id, as of `cookie`. */
  readonly rows: Map<string, EntitySnapshot>
  /** The cookie the rows are current at; undefined until its first poke. */
  cookie: number | undefined
}

/** A poke as it was applied: its frames' fields, parts in arrival order. */
export interface AppliedPoke {
  pokeId: string
  baseCookie: number
  cookie: number
  parts: PokePart[]
  lastMutationIdChanges: Record<string, number>
}

/** A mutation to push; the client gives it the next id. */
export interface NewMutation {
  name: string
  args: unknown
}

/** What a subscribe can resume from: a cookie and the rows the client had then. */
export interface ResumeFrom {
  cookie: number | undefined
  rows: ReadonlyMap<string, EntitySnapshot>
}

export interface SyncClientOptions {
  clientGroupId?: string
  clientId?: string
  protocolVersion?: number
}

/** An `error` frame answering a request the caller awaited. */
export class SyncErrorFrame extends Error {
  constructor(readonly frame: ErrorMessage) {
    super(`${frame.kind}: ${frame.message}`)
    this.name = 'SyncErrorFrame'
  }
}

type Frame = { type?: unknown } & Record<string, unknown>

interface Waiter {
  check: () => boolean
  resolve: () => void
  reject: (err: unknown) => void
}

export class SyncClient {
  readonly clientGroupId: string
  readonly clientId: string
  /** The answer to connect (undefined before it, or if connect was refused). */
  connected: Connected | undefined
  readonly subs = new Map<string, Subscription>()
  /** The cookie of the last poke applied on this socket (0 before any). */
  cookie = 0
  /** This client's confirmed watermark: the latest `lastMutationIdChanges[clientId]` seen. */
  watermark = 0
  /** Confirmed watermarks of every client of the group, as pokes reported them. */
  readonly confirmed = new Map<string, number>()
  /** The next mutation id this client will push. */
  nextMutationId = 1
  readonly pokes: AppliedPoke[] = []
  readonly errors: ErrorMessage[] = []
  readonly mutationErrors: MutationError[] = []
  pongs = 0
  /** The size of the largest frame received, in bytes. */
  largestFrameBytes = 0
  /** Breaches of the protocol seen by the client (parts outside a poke, cookies going back…). */
  readonly violations: string[] = []
  /** Server messages that the strict protocol schemas refuse (also listed in `violations`). */
  readonly schemaViolations: string[] = []
  private pending: AppliedPoke | undefined
  private readonly unsubscribed = new Set<string>()
  private waiters: Waiter[] = []

  constructor(
    readonly socket: TestSocket,
    options: SyncClientOptions = {},
  ) {
    this.clientGroupId = options.clientGroupId ?? `g-${randomUUID()}`
    this.clientId = options.clientId ?? `c-${randomUUID()}`
    checkedInThisTest(this)
    socket.ws.on('message', (data, isBinary) => {
      if (isBinary) {
        this.violations.push('the server sent a binary frame')
        return
      }
      const text = String(data)
      this.largestFrameBytes = Math.max(this.largestFrameBytes, Buffer.byteLength(text))
      for (const message of unbundle(JSON.parse(text))) {
        const violation = schemaViolation(message)
        if (violation) {
          this.schemaViolations.push(violation)
          this.violations.push(violation)
        }
        this.onFrame(message as Frame)
      }
    })
    socket.ws.on('close', () => this.runWaiters())
  }

  /** Opens a socket to a star's /sync route, without connecting. */
  static async open(star: string, options: SyncClientOptions = {}): Promise<SyncClient> {
    return new SyncClient(await openSocket(`/stars/${star}/sync`), options)
  }

  /** Opens a socket and connects; throws if the server answers with an error. */
  static async connect(star: string, options: SyncClientOptions = {}): Promise<SyncClient> {
    const client = await SyncClient.open(star, options)
    await client.connect(options.protocolVersion)
    return client
  }

  /** Sends connect and waits for `connected` (throws a SyncErrorFrame if refused). */
  async connect(protocolVersion = PROTOCOL_VERSION): Promise<Connected> {
    const errors = this.errors.length
    this.send({
      type: 'connect',
      protocolVersion,
      clientGroupId: this.clientGroupId,
      clientId: this.clientId,
    })
    await this.waitFor('connected', () => {
      const err = this.errors[errors]
      if (err) throw new SyncErrorFrame(err)
      return this.connected !== undefined
    })
    return this.connected!
  }

  send(frame: unknown): void {
    this.socket.send(frame)
  }

  /**
   * Subscribes (or resumes from `resume`) and waits until the first poke naming the subscription is
   * applied; throws a SyncErrorFrame if the server answers with an error for this subId.
   */
  async subscribe(
    subId: string,
    shape: string,
    params: Record<string, unknown> = {},
    resume?: ResumeFrom,
  ): Promise<AppliedPoke> {
    const sub: Subscription = {
      subId,
      shape,
      params,
      rows: new Map(resume?.rows ?? []),
      cookie: resume?.cookie,
    }
    this.subs.set(subId, sub)
    this.unsubscribed.delete(subId)
    const pokes = this.pokes.length
    const errors = this.errors.length
    this.send({
      type: 'subscribe',
      subId,
      shape,
      params,
      ...(resume?.cookie === undefined ? {} : { cookie: resume.cookie }),
    })
    let found: AppliedPoke | undefined
    await this.waitFor(`the first poke of ${subId}`, () => {
      const err = this.errors.slice(errors).find((e) => e.details?.subId === subId)
      if (err) {
        this.subs.delete(subId)
        throw new SyncErrorFrame(err)
      }
      found = this.pokes.slice(pokes).find((p) => p.parts.some((part) => part.subId === subId))
      return found !== undefined
    })
    return found!
  }

  unsubscribe(subId: string): void {
    this.subs.delete(subId)
    this.unsubscribed.add(subId)
    this.send({ type: 'unsubscribe', subId })
  }

  /** Pushes mutations with this client's next ids; returns the last id. */
  push(mutations: readonly NewMutation[]): number {
    const numbered = mutations.map((m) => ({ id: this.nextMutationId++, name: m.name, args: m.args }))
    this.send({ type: 'push', clientId: this.clientId, mutations: numbered })
    return this.nextMutationId - 1
  }

  /** The rows of a subscription, sorted by id (as `query` orders them). */
  rows(subId: string): EntitySnapshot[] {
    const sub = this.subs.get(subId)
    if (!sub) throw new Error(`No subscription ${subId}`)
    return [...sub.rows.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
  }

  waitForCookie(seq: number, timeoutMs?: number): Promise<void> {
    return this.waitFor(`cookie ${seq} (at ${this.cookie})`, () => this.cookie >= seq, timeoutMs)
  }

  waitForWatermark(id: number, timeoutMs?: number): Promise<void> {
    return this.waitFor(`watermark ${id} (at ${this.watermark})`, () => this.watermark >= id, timeoutMs)
  }

  /** Sends something and waits for the next `error` frame after it. */
  async expectError(send: () => void, timeoutMs?: number): Promise<ErrorMessage> {
    const errors = this.errors.length
    send()
    await this.waitFor('an error frame', () => this.errors.length > errors, timeoutMs)
    return this.errors[errors]!
  }

  /** Sends a ping and waits for its pong. */
  async ping(timeoutMs?: number): Promise<void> {
    const pongs = this.pongs
    this.send({ type: 'ping' })
    await this.waitFor('pong', () => this.pongs > pongs, timeoutMs)
  }

  /** Resolves when `check` holds (evaluated after every frame); rejects after the timeout or on close. */
  waitFor(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
    return new Promise((resolve, reject) => {
      try {
        if (check()) return resolve()
      } catch (err) {
        return reject(err)
      }
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter)
        reject(new Error(`${this.clientId}: timed out after ${timeoutMs} ms waiting for ${what}`))
      }, timeoutMs)
      const waiter: Waiter = {
        check: () => {
          if (this.socket.closed && !check()) {
            throw new Error(
              `${this.clientId}: socket closed (${this.socket.closed.code}) waiting for ${what}`,
            )
          }
          return check()
        },
        resolve: () => {
          clearTimeout(timer)
          resolve()
        },
        reject: (err) => {
          clearTimeout(timer)
          reject(err)
        },
      }
      this.waiters.push(waiter)
    })
  }

  close(): Promise<void> {
    return this.socket.close()
  }

  private onFrame(frame: Frame): void {
    switch (frame.type) {
      case 'connected':
        this.connected = frame as unknown as Connected
        this.watermark = this.connected.watermark
        this.nextMutationId = this.connected.watermark + 1
        break
      case 'pokeStart': {
        const start = frame as unknown as PokeStart
        if (this.pending) this.violations.push(`pokeStart ${start.pokeId} inside poke ${this.pending.pokeId}`)
        this.pending = {
          pokeId: start.pokeId,
          baseCookie: start.baseCookie,
          cookie: start.cookie,
          parts: [],
          lastMutationIdChanges: {},
        }
        break
      }
      case 'pokePart': {
        const part = frame as unknown as PokePart
        if (this.pending?.pokeId !== part.pokeId)
          this.violations.push(`pokePart of ${part.pokeId} outside it`)
        else this.pending.parts.push(part)
        break
      }
      case 'pokeEnd': {
        const end = frame as unknown as PokeEnd
        const poke = this.pending
        this.pending = undefined
        if (poke?.pokeId !== end.pokeId) {
          this.violations.push(`pokeEnd of ${end.pokeId} outside it`)
          break
        }
        if (end.cookie !== poke.cookie)
          this.violations.push(`poke ${poke.pokeId} ends at ${end.cookie}, started for ${poke.cookie}`)
        poke.lastMutationIdChanges = end.lastMutationIdChanges
        this.apply(poke)
        break
      }
      case 'mutationError':
        this.mutationErrors.push(frame as unknown as MutationError)
        break
      case 'error':
        this.errors.push(frame as unknown as ErrorMessage)
        break
      case 'pong':
        this.pongs++
        break
      default:
        // Clients parse the server's frames loosely; JSON-RPC answers and future types are ignored.
        break
    }
    this.runWaiters()
  }

  /** Applies a whole poke at once: truncates, deletes and puts, then cookies and watermarks. */
  private apply(poke: AppliedPoke): void {
    if (poke.cookie < this.cookie)
      this.violations.push(`poke ${poke.pokeId} goes back from cookie ${this.cookie} to ${poke.cookie}`)
    const named = new Set<string>()
    for (const part of poke.parts) {
      const sub = this.subs.get(part.subId)
      if (!sub) {
        if (!this.unsubscribed.has(part.subId)) this.violations.push(`part for unknown sub ${part.subId}`)
        continue
      }
      if (part.truncate) {
        if (named.has(part.subId)) this.violations.push(`truncate after the first part of ${part.subId}`)
        sub.rows.clear()
      }
      named.add(part.subId)
      for (const id of part.dels) sub.rows.delete(id)
      for (const row of part.puts) sub.rows.set(row.id, row)
    }
    // A poke moves the whole socket to its cookie: every seeded subscription is current there.
    for (const sub of this.subs.values()) {
      if (sub.cookie === undefined && !named.has(sub.subId)) continue
      if (sub.cookie !== undefined && poke.cookie < sub.cookie)
        this.violations.push(`poke ${poke.pokeId} moves ${sub.subId} back to ${poke.cookie}`)
      sub.cookie = poke.cookie
    }
    this.cookie = poke.cookie
    for (const [cid, lmid] of Object.entries(poke.lastMutationIdChanges)) {
      if (lmid < (this.confirmed.get(cid) ?? 0))
        this.violations.push(`watermark of ${cid} went back to ${lmid}`)
      this.confirmed.set(cid, lmid)
      if (cid === this.clientId) this.watermark = lmid
    }
    this.pokes.push(poke)
  }

  private runWaiters(): void {
    this.waiters = this.waiters.filter((w) => {
      try {
        if (!w.check()) return true
        w.resolve()
      } catch (err) {
        w.reject(err)
      }
      return false
    })
  }
}
