// Reads through the server: JSON-RPC 2.0 over HTTP (POST {url}/stars/{star}/rpc) for history and
// as-of queries, which a replica cannot answer (it holds current state only).
import {
  builtInShapeSpec,
  type EntitySnapshot,
  ErrorKind,
  isBuiltInShape,
  JSONRPC_VERSION,
  JsonRpcResponseSchema,
  ShapeParamsError,
  type ShapeSpec,
  STAR_ROUTES,
  STARS_PATH_PREFIX,
} from '@lumenize/protocol'
import * as v from 'valibot'
import { ClientErrorKind, LumenizeClientError, RpcCallError, RpcNetworkError } from './errors'
import { type InstantLike, toEpochMs } from './temporal'

/** Rows per `query` page when reading a whole shape as of an instant. */
const PAGE = 1000

export type RpcCall = (method: string, params?: Record<string, unknown> | unknown[]) => Promise<unknown>

let nextRpcId = 0

/** A JSON-RPC caller for one star. Errors reject with RpcCallError (kind from `error.data.kind`). */
export function rpcCaller(options: {
  url: string
  star: string
  token?: string | (() => string | Promise<string>) | undefined
  fetch?: typeof fetch
}): RpcCall {
  const endpoint = `${options.url.replace(/\/+$/, '')}${STARS_PATH_PREFIX}${options.star}/${STAR_ROUTES.rpc}`
  return async (method, params) => {
    const token = typeof options.token === 'function' ? await options.token() : options.token
    const body = {
      jsonrpc: JSONRPC_VERSION,
      id: ++nextRpcId,
      method,
      ...(params === undefined ? {} : { params }),
    }
    let res: Response
    try {
      res = await (options.fetch ?? fetch)(endpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
        },
        body: JSON.stringify(body),
      })
    } catch (err) {
      throw new RpcNetworkError(method, err)
    }
    const parsed = v.safeParse(JsonRpcResponseSchema, await res.json().catch(() => undefined))
    if (!parsed.success) throw new RpcNetworkError(method, parsed.issues, res.status)
    const answer = parsed.output
    if ('error' in answer) throw new RpcCallError(answer.error.code, answer.error.message, answer.error.data)
    return answer.result
  }
}

/**
 * Reports a rejection to `report` when nobody handles it: a promise whose `then`/`catch` is never
 * called (a call made and forgotten) would otherwise fail in silence.
 */
export function reportUnhandled<T>(
  promise: Promise<T>,
  report: (error: LumenizeClientError) => void,
): Promise<T> {
  let handled = false
  const out = promise.then((x) => x)
  const then = out.then.bind(out)
  // Marks the rejection handled for the runtime (it is reported here instead), not for this check.
  then(undefined, () => undefined)
  // biome-ignore lint/suspicious/noThenProperty: on purpose: `await` and `.catch` both go through it
  out.then = ((onFulfilled, onRejected) => {
    handled = true
    return then(onFulfilled, onRejected)
  }) as typeof out.then
  promise.catch((err: unknown) => {
    // Give a caller that awaits later in the same turn the chance to attach first.
    setTimeout(() => {
      if (!handled && err instanceof LumenizeClientError) report(err)
    }, 0)
  })
  return out
}

/**
 * Every snapshot of an entity overlapping [from, to), oldest first, tombstones included.
 */
export async function history(
  call: RpcCall,
  id: string,
  range: { from?: InstantLike; to?: InstantLike } = {},
): Promise<EntitySnapshot[]> {
  return (await call('history', {
    id,
    ...(range.from === undefined ? {} : { from: toEpochMs(range.from) }),
    ...(range.to === undefined ? {} : { to: toEpochMs(range.to) }),
  })) as EntitySnapshot[]
}

/**
 * The rows of a built-in shape as they were at an instant. `entities { type, where, under }` maps to
 * `query`; `orgTree { root }` to the OrgNodes of that subtree. Custom shapes are resolved by the
 * server only, so they are refused here (`UNSUPPORTED_SHAPE`): query their spec with `entities`.
 */
export async function asOf(
  call: RpcCall,
  shape: string,
  params: Record<string, unknown>,
  at: InstantLike,
): Promise<EntitySnapshot[]> {
  if (!isBuiltInShape(shape)) {
    throw new LumenizeClientError(
      ClientErrorKind.unsupportedShape,
      `asOf reads the built-in shapes (entities, orgTree); "${shape}" is resolved by the server only. Use asOf('entities', { type, where, under }, at) with its spec`,
      { shape },
    )
  }
  // The same spec the server's shape has, as a `query` (which takes one type).
  let spec: ShapeSpec
  try {
    spec = builtInShapeSpec(shape, params)
  } catch (err) {
    if (!(err instanceof ShapeParamsError)) throw err
    throw new LumenizeClientError(ErrorKind.invalidParams, `Invalid params for ${shape}: ${err.message}`, {
      shape,
    })
  }
  const query: Record<string, unknown> = {
    ...(spec.types?.[0] === undefined ? {} : { type: spec.types[0] }),
    ...(spec.where === undefined ? {} : { where: spec.where }),
    ...(spec.under === undefined ? {} : { under: spec.under }),
  }
  const rows: EntitySnapshot[] = []
  for (let offset = 0; ; offset += PAGE) {
    const page = (await call('query', { ...query, asOf: toEpochMs(at), limit: PAGE, offset })) as {
      entities: EntitySnapshot[]
      hasMore: boolean
    }
    rows.push(...page.entities)
    if (!page.hasMore) return rows
  }
}
