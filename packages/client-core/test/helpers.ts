// Helpers for the integration tests: clients against the real server, fresh stars, waiting.
import 'fake-indexeddb/auto'
import { randomUUID } from 'node:crypto'
import type { UpMessage } from '@lumenize/protocol'
import { afterEach, inject } from 'vitest'
import WebSocket from 'ws'
import {
  type ClientOptions,
  createClient,
  type LumenizeClient,
  partySocketTransport,
  type Transport,
  type TransportStatus,
} from '../src/index'
import { mutators } from './fixtures/mutators'

export type TestClient = LumenizeClient<typeof mutators>

/** The origin of the server started by global-setup.ts. */
export const serverUrl = (): string => inject('serverUrl')

/** A star no other test uses, so every test starts from an empty star. */
export const freshStar = (prefix = 'c'): string => `${prefix}.test.s${randomUUID().slice(0, 8)}`

/** A client of the test server over `ws`, persisted in fake-indexeddb unless told otherwise. */
export function testClient(star: string, options: Partial<ClientOptions<typeof mutators>> = {}): TestClient {
  return createClient({
    url: serverUrl(),
    star,
    persistence: 'indexeddb',
    mutators,
    WebSocket,
    reconnect: { minReconnectionDelay: 50, maxReconnectionDelay: 500 },
    ...options,
  })
}

/**
 * `testClient`, with every client it makes closed after each test of the file that calls this.
 *
 * @example const client = closedAfterEach(); const a = client(star)
 */
export function closedAfterEach(): (...args: Parameters<typeof testClient>) => TestClient {
  const open: TestClient[] = []
  afterEach(async () => {
    await Promise.all(open.splice(0).map((c) => c.close()))
  })
  return (...args) => {
    const c = testClient(...args)
    open.push(c)
    return c
  }
}

/** Polls until `check` passes (returns without throwing), or fails with its last error. */
export async function eventually<T>(check: () => T | Promise<T>, timeoutMs = 10_000): Promise<T> {
  const start = Date.now()
  for (;;) {
    try {
      return await check()
    } catch (err) {
      if (Date.now() - start > timeoutMs) throw err
      await new Promise((r) => setTimeout(r, 20))
    }
  }
}

/** A JSON-RPC call to the test server. */
export async function rpc<T = unknown>(star: string, method: string, params?: unknown): Promise<T> {
  const res = await fetch(`${serverUrl()}/stars/${star}/rpc`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, ...(params === undefined ? {} : { params }) }),
  })
  const body = (await res.json()) as { result?: T; error?: { message: string } }
  if (body.error) throw new Error(body.error.message)
  return body.result as T
}

/** A free TCP port nothing listens on (for "server unreachable"). */
export async function closedPortUrl(): Promise<string> {
  const { createServer } = await import('node:net')
  const port = await new Promise<number>((resolve) => {
    const srv = createServer()
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address()
      const p = typeof address === 'object' && address ? address.port : 0
      srv.close(() => resolve(p))
    })
  })
  return `http://127.0.0.1:${port}`
}

/**
 * A transport that can be cut and restored like a network: wraps the default partysocket transport
 * and records every frame sent and when `connect` was first called.
 */
export class TestTransport implements Transport {
  readonly sent: UpMessage[] = []
  connectedAt: number | undefined
  private inner: Transport | undefined
  private readonly messageListeners = new Set<(m: unknown) => void>()
  private readonly statusListeners = new Set<(s: TransportStatus) => void>()

  constructor(
    private readonly url: string,
    private readonly star: string,
  ) {}

  connect(): void {
    this.connectedAt ??= Date.now()
    if (this.inner) return
    const inner = partySocketTransport({
      url: this.url,
      star: this.star,
      WebSocket,
      reconnect: { minReconnectionDelay: 50, maxReconnectionDelay: 500 },
    })
    inner.onMessage((m) => {
      if (this.inner === inner) for (const l of this.messageListeners) l(m)
    })
    inner.onStatus((s) => {
      if (this.inner === inner) for (const l of this.statusListeners) l(s)
    })
    this.inner = inner
    inner.connect()
  }

  /**
   * Cuts the connection like a network would: the socket closes, the retry that follows fails too,
   * and nothing goes through until `restore()`.
   */
  cut(): void {
    const inner = this.inner
    this.inner = undefined
    inner?.disconnect()
    for (const l of this.statusListeners) l('closed')
    setTimeout(() => {
      if (!this.inner) for (const l of this.statusListeners) l('closed')
    }, 10)
  }

  restore(): void {
    this.connect()
  }

  disconnect(): void {
    const inner = this.inner
    this.inner = undefined
    inner?.disconnect()
  }

  send(message: UpMessage): boolean {
    const ok = this.inner?.send(message) ?? false
    if (ok) this.sent.push(message)
    return ok
  }

  onMessage(listener: (m: unknown) => void): () => void {
    this.messageListeners.add(listener)
    return () => this.messageListeners.delete(listener)
  }

  onStatus(listener: (s: TransportStatus) => void): () => void {
    this.statusListeners.add(listener)
    return () => this.statusListeners.delete(listener)
  }
}
