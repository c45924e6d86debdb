// Loading data through JSON-RPC `transaction` calls (≤ 1,000 ops each, several in flight).
import type { JsonObject } from '@lumenize/protocol'
import type { RpcClient } from './rpc'
import { now } from './util'

export interface DocSpec {
  id: string
  value: JsonObject
}

export interface LoadStats {
  ops: number
  calls: number
  ms: number
  opsPerSecond: number
}

/**
 * Upserts Docs in `transaction` calls of `batch` ops with `inFlight` calls outstanding. Every call
 * is one SQLite transaction and one instant of star time.
 */
export async function loadDocs(
  rpc: RpcClient,
  count: number,
  make: (i: number) => DocSpec,
  options: { batch?: number; inFlight?: number; onProgress?: (done: number) => void } = {},
): Promise<LoadStats> {
  const batch = options.batch ?? 1000
  const inFlight = options.inFlight ?? 3
  const t0 = now()
  let next = 0
  let calls = 0
  let done = 0
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < count) {
        const start = next
        const end = Math.min(count, start + batch)
        next = end
        const ops = []
        for (let i = start; i < end; i++) {
          const d = make(i)
          ops.push({ op: 'upsert', id: d.id, type: 'Doc', value: d.value })
        }
        await rpc.call('transaction', { ops }, 120_000)
        calls++
        done += end - start
        options.onProgress?.(done)
      }
    }),
  )
  const ms = now() - t0
  return { ops: count, calls, ms, opsPerSecond: (count / ms) * 1000 }
}

/** A deterministic UUID-shaped id for the i-th entity of a namespace (so runs are comparable). */
export function benchId(namespace: number, i: number): string {
  const hex = (n: number, width: number) => n.toString(16).padStart(width, '0')
  return `${hex(namespace, 8)}-0000-4000-8000-${hex(i, 12)}`
}

let v7Last = 0
let v7Seq = 0

/**
 * A time-ordered UUID (version 7 layout: 48-bit ms timestamp, then a per-ms counter and random bits):
 * consecutive ids sort together, so SQLite appends them to its id-keyed indexes instead of
 * inserting at random pages as UUIDv4 does. For the BENCH_IDS=v7 experiment.
 */
export function uuidv7(): string {
  const ms = Date.now()
  if (ms === v7Last) v7Seq++
  else {
    v7Last = ms
    v7Seq = 0
  }
  const hex = (n: number, width: number) => n.toString(16).padStart(width, '0')
  const rand = (width: number) => hex(Math.floor(Math.random() * 16 ** width), width)
  const t = hex(ms, 12)
  const seq = hex(v7Seq & 0xfff, 3)
  return `${t.slice(0, 8)}-${t.slice(8)}-7${seq}-${hex(0x8 | Math.floor(Math.random() * 4), 1)}${rand(3)}-${rand(12)}`
}
