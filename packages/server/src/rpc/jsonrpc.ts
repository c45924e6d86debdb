// Transport-free JSON-RPC 2.0 server: turns a body (one request or a batch) into the response text exactly
// as https://www.jsonrpc.org/specification says. The Star DO feeds it HTTP bodies and WebSocket frames.
import {
  ErrorKind,
  isJsonRpcId,
  isJsonRpcRequest,
  JSON_RPC_ERRORS,
  JSONRPC_VERSION,
  type JsonRpcErrorObject,
  type JsonRpcFailure,
  type JsonRpcId,
  type JsonRpcParams,
} from '@lumenize/protocol'

/** Batches longer than this are refused whole, so one body cannot hold a DO turn for too long. */
export const DEFAULT_MAX_BATCH = 100

// The spec reserves these names for the protocol itself; they are never dispatched to a method.
const RESERVED_PREFIX = 'rpc.'

// The spec's own messages: the examples of its section 7 answer with exactly these.
const MESSAGES = {
  parseError: 'Parse error',
  invalidRequest: 'Invalid Request',
  methodNotFound: 'Method not found',
  invalidParams: 'Invalid params',
  internalError: 'Internal error',
} as const

/**
 * Thrown by a method to answer with a chosen code, message and data instead of an internal error.
 *
 * @example throw new RpcError(1003, 'Entity changed since you read it', { kind: ErrorKind.conflict, id, current })
 */
export class RpcError extends Error {
  readonly code: number
  readonly data?: unknown

  constructor(code: number, message: string, data?: unknown) {
    super(message)
    this.name = 'RpcError'
    this.code = code
    if (data !== undefined) this.data = data
  }
}

/**
 * One callable method. Positional params are mapped to names through `paramNames`, so `run` and
 * `validate` only ever see named params.
 */
export interface RpcMethod<Ctx> {
  /** The params in positional order. When set, named params outside this list (and `restParam`) are refused. */
  paramNames?: readonly string[]
  /** Positional params beyond `paramNames` are collected into an array under this name (a variadic method). */
  restParam?: string
  /** Returns what is wrong with the params (answered as -32602 Invalid params), or undefined when they are fine. */
  validate?: (params: Readonly<Record<string, unknown>>) => string | undefined
  /** Computes the result. Throw `RpcError` for an answer of your choosing; anything else becomes -32603. */
  run: (params: Record<string, unknown>, ctx: Ctx) => unknown
}

/** The methods a server exposes, by name. */
export type RpcMethods<Ctx> = Readonly<Record<string, RpcMethod<Ctx>>>

export interface DispatchOptions {
  /** The most entries a batch may hold; a longer batch gets one -32600 error. Default `DEFAULT_MAX_BATCH`. */
  maxBatch?: number
  /** Sees every error answered as -32603 (the caller only gets 'Internal error', never the details). */
  onInternalError?: (error: unknown, method: string) => void
}

/**
 * Answers a JSON-RPC body in the same turn: methods must return plain values (a Promise is answered
 * as an internal error). Use it where the work must not interleave, e.g. a batch inside one DO turn.
 * A string body is JSON text; anything else is taken as already parsed.
 *
 * @returns the response text, or undefined when nothing must be sent (notifications only: HTTP 204).
 * @example
 * const text = dispatchSync(methods, await request.text(), ctx)
 * return text === undefined ? new Response(null, { status: 204 }) : json(text)
 */
export function dispatchSync<Ctx>(
  methods: RpcMethods<Ctx>,
  body: unknown,
  ctx: Ctx,
  options: DispatchOptions = {},
): string | undefined {
  const plan = planBody(body, options.maxBatch ?? DEFAULT_MAX_BATCH)
  if ('reply' in plan) return plan.reply
  return assemble(
    plan.entries.map((entry) => {
      const step = prepare(methods, entry)
      return 'answer' in step ? step.answer : settle(step.call, attemptSync(step.call, ctx), options)
    }),
    plan.batch,
  )
}

// A body either gets one answer straight away (parse error, bad batch) or one answer per entry.
type Plan = { reply: string } | { entries: readonly unknown[]; batch: boolean }

function planBody(body: unknown, maxBatch: number): Plan {
  let value = body
  if (typeof body === 'string') {
    try {
      value = JSON.parse(body)
    } catch {
      return { reply: failureText(null, { code: JSON_RPC_ERRORS.parseError, message: MESSAGES.parseError }) }
    }
  }
  if (!Array.isArray(value)) return { entries: [value], batch: false }
  // The spec answers an empty batch with a single error, not an array.
  if (value.length === 0) return { reply: invalidRequestText(null) }
  if (value.length > maxBatch) {
    const message = `${MESSAGES.invalidRequest}: a batch may hold at most ${maxBatch} requests, this one has ${value.length}`
    return { reply: failureText(null, { code: JSON_RPC_ERRORS.invalidRequest, message }) }
  }
  return { entries: value, batch: true }
}

function assemble(answers: readonly (string | undefined)[], batch: boolean): string | undefined {
  const texts = answers.filter((text) => text !== undefined)
  if (!batch) return texts[0]
  return texts.length === 0 ? undefined : `[${texts.join(',')}]`
}

// A request whose method exists; `id` undefined marks a notification.
interface Call<Ctx> {
  id: JsonRpcId | undefined
  name: string
  method: RpcMethod<Ctx>
  params: JsonRpcParams | undefined
}

type Step<Ctx> = { answer: string | undefined } | { call: Call<Ctx> }

function prepare<Ctx>(methods: RpcMethods<Ctx>, entry: unknown): Step<Ctx> {
  if (!isJsonRpcRequest(entry)) return { answer: invalidRequestText(readableId(entry)) }
  const { id, method: name, params } = entry
  // Own properties only: 'toString' or '__proto__' must not reach Object.prototype.
  const method = name.startsWith(RESERVED_PREFIX) || !Object.hasOwn(methods, name) ? undefined : methods[name]
  if (method === undefined) {
    const error = { code: JSON_RPC_ERRORS.methodNotFound, message: MESSAGES.methodNotFound }
    return { answer: id === undefined ? undefined : failureText(id, error) }
  }
  return { call: { id, name, method, params } }
}

// An invalid request whose id is still well-formed is answered under that id, so a client can tell
// which entry of its batch was wrong; otherwise the spec's null.
function readableId(entry: unknown): JsonRpcId {
  if (typeof entry !== 'object' || entry === null || !Object.hasOwn(entry, 'id')) return null
  const id: unknown = (entry as { id?: unknown }).id
  return isJsonRpcId(id) ? id : null
}

type Outcome = { ok: true; result: unknown } | { ok: false; error: unknown }

function attemptSync<Ctx>(call: Call<Ctx>, ctx: Ctx): Outcome {
  try {
    const result = invoke(call, ctx)
    if (isPromiseLike(result)) {
      // Nobody can await it any more: keep its rejection from going unhandled.
      result.then(undefined, () => undefined)
      throw new Error(
        `JSON-RPC method '${call.name}' returned a Promise; dispatchSync needs a synchronous method`,
      )
    }
    return { ok: true, result }
  } catch (error) {
    return { ok: false, error }
  }
}

function invoke<Ctx>(call: Call<Ctx>, ctx: Ctx): unknown {
  const params = namedParams(call.method, call.params)
  const problem = call.method.validate?.(params)
  if (problem !== undefined) throw invalidParams(problem, '')
  return call.method.run(params, ctx)
}

function namedParams<Ctx>(
  method: RpcMethod<Ctx>,
  params: JsonRpcParams | undefined,
): Record<string, unknown> {
  if (params === undefined) return {}
  const names = method.paramNames ?? []
  if (Array.isArray(params)) {
    if (params.length > names.length && method.restParam === undefined) {
      throw invalidParams(
        `expected at most ${names.length} positional params, got ${params.length}`,
        `${names.length}`,
      )
    }
    const named: Record<string, unknown> = {}
    names.forEach((name, i) => {
      if (i < params.length) named[name] = params[i]
    })
    if (method.restParam !== undefined) named[method.restParam] = params.slice(names.length)
    return named
  }
  if (method.paramNames !== undefined) {
    const unknown = Object.keys(params).find((key) => !names.includes(key) && key !== method.restParam)
    if (unknown !== undefined) throw invalidParams(`unknown param '${unknown}'`, unknown)
  }
  return params
}

// Every -32602 carries the same data shape as a failed params schema, so clients handle one shape.
function invalidParams(detail: string, path: string): RpcError {
  return new RpcError(JSON_RPC_ERRORS.invalidParams, `${MESSAGES.invalidParams}: ${detail}`, {
    kind: ErrorKind.validation,
    issues: [{ path, message: detail }],
  })
}

function settle<Ctx>(call: Call<Ctx>, outcome: Outcome, options: DispatchOptions): string | undefined {
  try {
    if (outcome.ok) return call.id === undefined ? undefined : successText(call.id, outcome.result)
    const { error } = outcome
    if (!(error instanceof RpcError)) {
      report(options, error, call.name)
      return call.id === undefined ? undefined : internalErrorText(call.id)
    }
    if (call.id === undefined) return undefined
    const object: JsonRpcErrorObject = { code: error.code, message: error.message }
    if (error.data !== undefined) object.data = error.data
    return failureText(call.id, object)
  } catch (error) {
    // The result or the error data did not serialize (a BigInt, a cycle): the bug is on our side.
    report(options, error, call.name)
    return call.id === undefined ? undefined : internalErrorText(call.id)
  }
}

function report(options: DispatchOptions, error: unknown, method: string): void {
  try {
    options.onInternalError?.(error, method)
  } catch {
    // A failing error hook must not cost the client its answer.
  }
}

function successText(id: JsonRpcId, result: unknown): string {
  // `result` is required on success, and JSON.stringify would drop an undefined (or function) one.
  const resultText: string | undefined = JSON.stringify(result)
  return `{"jsonrpc":"${JSONRPC_VERSION}","result":${resultText ?? 'null'},"id":${JSON.stringify(id)}}`
}

function failureText(id: JsonRpcId, error: JsonRpcErrorObject): string {
  const failure: JsonRpcFailure = { jsonrpc: JSONRPC_VERSION, error, id }
  return JSON.stringify(failure)
}

function invalidRequestText(id: JsonRpcId): string {
  return failureText(id, { code: JSON_RPC_ERRORS.invalidRequest, message: MESSAGES.invalidRequest })
}

function internalErrorText(id: JsonRpcId): string {
  return failureText(id, { code: JSON_RPC_ERRORS.internalError, message: MESSAGES.internalError })
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  )
}
