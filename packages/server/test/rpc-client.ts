// A tiny typed JSON-RPC 2.0 client for the server tests: POSTs requests to /stars/<star>/rpc.
import type { Change, EntitySnapshot, StarHealth } from '@lumenize/protocol'
import { serverUrl } from './helpers'

/** What each method of the star answers (see packages/server/README.md). */
export interface RpcResults {
  get: EntitySnapshot | null
  upsert: EntitySnapshot
  patch: EntitySnapshot
  delete: EntitySnapshot
  transaction: { snapshots: EntitySnapshot[] }
  history: EntitySnapshot[]
  query: { entities: EntitySnapshot[]; hasMore: boolean }
  changes: { changes: Change[]; hasMore: boolean }
  'orgTree.root': EntitySnapshot
  'orgTree.tree': { root: string; nodes: EntitySnapshot[]; edges: Array<{ parent: string; child: string }> }
  'orgTree.addNode': EntitySnapshot
  'orgTree.addEdge': EntitySnapshot
  'orgTree.removeEdge': EntitySnapshot
  'orgTree.move': { from: EntitySnapshot; to: EntitySnapshot }
  'orgTree.deleteNode': EntitySnapshot
  'orgTree.ancestors': EntitySnapshot[]
  'orgTree.descendants': EntitySnapshot[]
  'star.health': StarHealth
  'star.trimOpLog': { trimmedThrough: number }
  'star.instance': { instance: string }
  'star.explain': string[]
  'star.types': unknown[]
}

export type RpcMethodName = keyof RpcResults
export type RpcParams = Record<string, unknown> | unknown[]

/** A JSON-RPC error answer, thrown by `rpc`. */
export class RpcCallError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data: unknown,
  ) {
    super(`${code}: ${message}`)
    this.name = 'RpcCallError'
  }

  /** `data` as an object, for reading `data.kind` and details. */
  get details(): Record<string, unknown> {
    return typeof this.data === 'object' && this.data !== null ? (this.data as Record<string, unknown>) : {}
  }
}

interface WireAnswer {
  jsonrpc?: unknown
  id?: unknown
  result?: unknown
  error?: { code: number; message: string; data?: unknown }
}

let nextId = 0

/** POSTs a body as is and returns the HTTP status and the parsed JSON (undefined for an empty body). */
export async function rpcRaw(
  star: string,
  bodyText: string | ReadableStream<Uint8Array>,
  init: RequestInit = {},
): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${serverUrl()}/stars/${star}/rpc`, {
    method: 'POST',
    // A fresh connection per call: under load, workerd may close a kept-alive connection just as
    // the client reuses it ("other side closed"), failing a request the server never saw.
    headers: { 'content-type': 'application/json', connection: 'close' },
    body: bodyText,
    ...(typeof bodyText === 'string' ? {} : { duplex: 'half' }),
    ...init,
  })
  const text = await res.text()
  return { status: res.status, json: text === '' ? undefined : JSON.parse(text) }
}

function request(method: string, params: RpcParams | undefined, id: number): Record<string, unknown> {
  return { jsonrpc: '2.0', id, method, ...(params === undefined ? {} : { params }) }
}

function unwrap(answer: WireAnswer): unknown {
  if (answer.error) throw new RpcCallError(answer.error.code, answer.error.message, answer.error.data)
  if (!('result' in answer)) throw new Error(`Not a JSON-RPC answer: ${JSON.stringify(answer)}`)
  return answer.result
}

/** Calls one method; returns its result or throws an `RpcCallError` with the error's code and data. */
export async function rpc<M extends RpcMethodName>(
  star: string,
  method: M,
  params?: RpcParams,
): Promise<RpcResults[M]> {
  const id = ++nextId
  const { status, json } = await rpcRaw(star, JSON.stringify(request(method, params, id)))
  if (status !== 200) throw new Error(`HTTP ${status} for ${method}: ${JSON.stringify(json)}`)
  const answer = json as WireAnswer
  if (answer.id !== id) throw new Error(`Answer id ${JSON.stringify(answer.id)} is not the request id ${id}`)
  return unwrap(answer) as RpcResults[M]
}

/** Calls a method that must fail and returns the error (throws if the call succeeded). */
export async function rpcError(
  star: string,
  method: RpcMethodName,
  params?: RpcParams,
): Promise<RpcCallError> {
  try {
    const result = await rpc(star, method, params)
    throw new Error(`${method} was expected to fail but answered ${JSON.stringify(result).slice(0, 300)}`)
  } catch (err) {
    if (err instanceof RpcCallError) return err
    throw err
  }
}

/** One entry of a batch: its result, or the error it got. */
export type BatchOutcome = { ok: true; result: unknown } | { ok: false; error: RpcCallError }

/** Sends several calls as one JSON-RPC batch (≤ 100) and returns their outcomes in call order. */
export async function rpcBatch(
  star: string,
  calls: ReadonlyArray<readonly [RpcMethodName, RpcParams?]>,
): Promise<BatchOutcome[]> {
  const ids = calls.map(() => ++nextId)
  const body = JSON.stringify(calls.map(([method, params], i) => request(method, params, ids[i]!)))
  const { status, json } = await rpcRaw(star, body)
  if (status !== 200 || !Array.isArray(json))
    throw new Error(`Batch answered HTTP ${status}: ${JSON.stringify(json)}`)
  const byId = new Map((json as WireAnswer[]).map((a) => [a.id, a]))
  return ids.map((id) => {
    const answer = byId.get(id)
    if (!answer) throw new Error(`The batch has no answer for id ${id}`)
    try {
      return { ok: true, result: unwrap(answer) }
    } catch (err) {
      if (err instanceof RpcCallError) return { ok: false, error: err }
      throw err
    }
  })
}

/** Like `rpcBatch`, but every call must succeed; returns the results in call order. */
export async function rpcAll(
  star: string,
  calls: ReadonlyArray<readonly [RpcMethodName, RpcParams?]>,
): Promise<unknown[]> {
  const out: unknown[] = []
  for (let i = 0; i < calls.length; i += 100) {
    for (const outcome of await rpcBatch(star, calls.slice(i, i + 100))) {
      if (!outcome.ok) throw outcome.error
      out.push(outcome.result)
    }
  }
  return out
}

/** Everything the star holds, as the API shows it: the op-log seq and every snapshot ever written. */
export async function storeState(star: string): Promise<{ seq: number; snapshots: EntitySnapshot[] }> {
  const [health, changes] = (await rpcAll(star, [
    ['star.health'],
    ['changes', { from: 0, limit: 10_000 }],
  ])) as [StarHealth, RpcResults['changes']]
  if (changes.hasMore) throw new Error('storeState: the star holds more than 10,000 snapshots')
  return { seq: health.seq, snapshots: changes.changes.map((c) => c.entity) }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
