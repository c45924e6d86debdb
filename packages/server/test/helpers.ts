// Helpers for tests that talk to the real server over HTTP and WebSockets.
import { randomUUID } from 'node:crypto'
import { inject } from 'vitest'
import WebSocket from 'ws'

/** The origin of the server started by global-setup.ts. */
export function serverUrl(): string {
  return inject('serverUrl')
}

/** A star id no other test uses, so every test starts from an empty star. */
export function freshStar(prefix = 't'): string {
  return `${prefix}.test.s${randomUUID().slice(0, 8)}`
}

/** Opens a real WebSocket and collects the JSON frames it receives. */
export async function openSocket(path: string): Promise<TestSocket> {
  const url = `${serverUrl().replace(/^http/, 'ws')}${path}`
  const ws = new WebSocket(url)
  const socket = new TestSocket(ws)
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve())
    ws.once('error', reject)
    ws.once('unexpected-response', (_req, res) => reject(new Error(`Upgrade refused: ${res.statusCode}`)))
  })
  return socket
}

export class TestSocket {
  readonly frames: unknown[] = []
  private waiters: Array<{ pred: (f: unknown) => boolean; resolve: (f: unknown) => void }> = []
  closed: { code: number; reason: string } | undefined

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const frame: unknown = JSON.parse(String(data))
      this.frames.push(frame)
      this.waiters = this.waiters.filter((w) => {
        if (!w.pred(frame)) return true
        w.resolve(frame)
        return false
      })
    })
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: String(reason) }
    })
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame))
  }

  /** Waits for the next frame (from now on, or already received and unseen) that matches. */
  next<T = Record<string, unknown>>(pred: (f: T) => boolean = () => true, timeoutMs = 10_000): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('Timed out waiting for a frame')), timeoutMs)
      this.waiters.push({
        pred: (f) => pred(f as T),
        resolve: (f) => {
          clearTimeout(timer)
          resolve(f as T)
        },
      })
    })
  }

  close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve()
    return new Promise((resolve) => {
      this.ws.once('close', () => resolve())
      this.ws.close(1000)
    })
  }
}

/** A small seeded PRNG (mulberry32), so randomized tests make the same choices on every run. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
